// Cryptographic primitives used by both binaries, all from libsodium:
// Ed25519 signing keys, SHA-256, random bytes and bearer-token hashing.
// Every function is thread-safe. Call InitCrypto() once before any other.
#ifndef GRIDBENCH_COMMON_CRYPTO_H_
#define GRIDBENCH_COMMON_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench {

// Initialises libsodium. Idempotent; fails only if the library cannot start.
absl::Status InitCrypto();

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64;
inline constexpr size_t kSignatureBytes = 64;

// An Ed25519 key pair. The secret key never leaves the worker.
struct SigningKey {
  std::string public_key;  // kPublicKeyBytes raw bytes.
  std::string secret_key;  // kSecretKeyBytes raw bytes.
};

SigningKey GenerateSigningKey();

// Loads the key pair from `path`, or creates it (mode 0600, parent directory
// created with 0700) when the file does not exist. A file that exists but is
// malformed or readable by others is an error, never silently replaced.
absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& path);

// Detached Ed25519 signature (kSignatureBytes raw bytes).
std::string Sign(const SigningKey& key, std::string_view message);

// OK when `signature` is a valid signature of `message` by `public_key`;
// INVALID_ARGUMENT for a malformed key or signature, UNAUTHENTICATED when the
// signature does not verify.
absl::Status VerifySignature(std::string_view public_key,
                             std::string_view message,
                             std::string_view signature);

// Short printable identifier of a public key: the first 16 hex digits of its
// SHA-256.
std::string KeyId(std::string_view public_key);

std::string Sha256(std::string_view data);     // 32 raw bytes.
std::string Sha256Hex(std::string_view data);  // 64 hex digits.
std::string ToHex(std::string_view bytes);

std::string RandomBytes(size_t n);
// A 256-bit bearer token as "gbt_" followed by 64 hex digits.
std::string GenerateBearerToken();

// Constant-time comparison of equally long strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_CRYPTO_H_
