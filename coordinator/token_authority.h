// TokenAuthority: bearer tokens and the roles they carry.
//
// Tokens are 256-bit random strings shown once at creation; only their
// SHA-256 is stored. Roles nest: admin can do what a submitter can, and a
// submitter what a viewer can. The worker role is separate: it only enrolls.
//
// Thread-safe.
#ifndef GRIDBENCH_COORDINATOR_TOKEN_AUTHORITY_H_
#define GRIDBENCH_COORDINATOR_TOKEN_AUTHORITY_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/annotated_mutex.h"
#include "coordinator/clock.h"
#include "coordinator/store/coordinator_store.h"

namespace gridbench::coordinator {

struct Principal {
  std::string token_id;
  gridbench::v1::Role role = gridbench::v1::ROLE_UNSPECIFIED;
};

struct CreatedToken {
  std::string token;  // The secret; shown once.
  TokenRecord record;
};

class TokenAuthority {
 public:
  TokenAuthority(CoordinatorStore* store, Clock* clock);

  void Load(const std::vector<TokenRecord>& tokens);

  // Creates a token and hands it to `done` once it is durable (or the error:
  // INVALID_ARGUMENT for an unknown role or a one-time token that is not a
  // worker join token). `done` may run on another thread.
  void Create(gridbench::v1::Role role, double ttl_seconds, bool one_time,
              const std::string& description,
              std::function<void(absl::StatusOr<CreatedToken>)> done);

  // The token's principal if `role` is allowed for it. UNAUTHENTICATED for a
  // missing, unknown, expired, revoked or spent token; PERMISSION_DENIED when
  // its role is not enough. A one-time token is spent by this call.
  absl::StatusOr<Principal> Authorize(const std::string& bearer_token,
                                      gridbench::v1::Role needed);

  // NOT_FOUND for an unknown id.
  absl::Status Revoke(const std::string& token_id);

  // Makes sure an admin token exists for first-time set-up: if no live admin
  // token does, creates one and writes it to `path` (mode 0600). Returns
  // true when it wrote a new token.
  absl::StatusOr<bool> EnsureAdminToken(const std::string& path);

 private:
  CoordinatorStore* const store_;
  Clock* const clock_;
  StdMutex mu_;
  std::map<std::string, TokenRecord> by_hash_ ABSL_GUARDED_BY(mu_);
};

// Parses "Bearer <token>" metadata; "" when absent or malformed.
std::string BearerTokenFrom(const std::string& authorization_header);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_TOKEN_AUTHORITY_H_
