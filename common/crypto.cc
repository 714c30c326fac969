#include "common/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace gridbench {

absl::Status InitCrypto() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

SigningKey GenerateSigningKey() {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  SigningKey key{std::string(reinterpret_cast<char*>(pk), sizeof(pk)),
                 std::string(reinterpret_cast<char*>(sk), sizeof(sk))};
  sodium_memzero(sk, sizeof(sk));
  return key;
}

namespace {

absl::Status WriteNewKeyFile(const std::string& path, const SigningKey& key) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return absl::InternalError(absl::StrCat("creating ", parent.string(), ": ", ec.message()));
    ::chmod(parent.c_str(), 0700);
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("creating ", tmp, ": ", std::strerror(errno)));
  const std::string& bytes = key.secret_key;  // libsodium's sk embeds the pk.
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("writing key file ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return absl::InternalError(absl::StrCat("stat ", path, ": ", std::strerror(errno)));
    SigningKey key = GenerateSigningKey();
    if (absl::Status s = WriteNewKeyFile(path, key); !s.ok()) return s;
    return key;
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " is accessible by other users; chmod 600 it"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string sk = buf.str();
  if (sk.size() != crypto_sign_SECRETKEYBYTES) {
    return absl::DataLossError(absl::StrCat("key file ", path, " holds ", sk.size(),
                                            " bytes, expected ", crypto_sign_SECRETKEYBYTES));
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(pk, reinterpret_cast<const unsigned char*>(sk.data()));
  return SigningKey{std::string(reinterpret_cast<char*>(pk), sizeof(pk)), sk};
}

std::string Sign(const SigningKey& key, std::string_view message) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return std::string(reinterpret_cast<char*>(sig), sizeof(sig));
}

absl::Status VerifySignature(std::string_view public_key, std::string_view message,
                             std::string_view signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("public key is ", public_key.size(), " bytes, expected 32"));
  }
  if (signature.size() != crypto_sign_BYTES) {
    return absl::InvalidArgumentError(absl::StrCat("signature is ", signature.size(), " bytes, expected 64"));
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(),
                                  reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return absl::UnauthenticatedError("signature does not verify");
  }
  return absl::OkStatus();
}

std::string Sha256(std::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

std::string ToHex(std::string_view bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  hex.pop_back();
  return hex;
}

std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

std::string KeyId(std::string_view public_key) { return Sha256Hex(public_key).substr(0, 16); }

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string GenerateBearerToken() { return "gbt_" + ToHex(RandomBytes(32)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gridbench
