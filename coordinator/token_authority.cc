#include "coordinator/token_authority.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"

namespace gridbench::coordinator {
namespace {

using gridbench::v1::Role;

bool RoleAllows(Role held, Role needed) {
  if (held == gridbench::v1::ROLE_WORKER || needed == gridbench::v1::ROLE_WORKER) {
    return held == needed;
  }
  return held >= needed;  // viewer < submitter < admin in the enum.
}

absl::Status WriteSecretFile(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("creating ", tmp, ": ", std::strerror(errno)));
  const bool ok = ::write(fd, contents.data(), contents.size()) ==
                      static_cast<ssize_t>(contents.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("writing ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

TokenAuthority::TokenAuthority(CoordinatorStore* store, Clock* clock)
    : store_(store), clock_(clock) {}

void TokenAuthority::Load(const std::vector<TokenRecord>& tokens) {
  StdMutexLock lock(mu_);
  for (const TokenRecord& token : tokens) by_hash_[token.hash_hex] = token;
}

void TokenAuthority::Create(Role role, double ttl_seconds, bool one_time,
                            const std::string& description,
                            std::function<void(absl::StatusOr<CreatedToken>)> done) {
  if (role < gridbench::v1::ROLE_VIEWER || role > gridbench::v1::ROLE_WORKER) {
    return done(absl::InvalidArgumentError("role must be admin, submitter, viewer or worker"));
  }
  if (one_time && role != gridbench::v1::ROLE_WORKER) {
    return done(absl::InvalidArgumentError("only worker join tokens can be one-time"));
  }
  if (!(ttl_seconds >= 0)) return done(absl::InvalidArgumentError("ttl must not be negative"));
  CreatedToken created;
  created.token = GenerateBearerToken();
  TokenRecord& record = created.record;
  record.token_id = absl::StrCat("tok-", ToHex(RandomBytes(6)));
  record.hash_hex = Sha256Hex(created.token);
  record.role = role;
  record.created_unix_nanos = clock_->NowNanos();
  record.expires_unix_nanos = ttl_seconds > 0 ? record.created_unix_nanos + SecondsToNanos(ttl_seconds) : 0;
  record.one_time = one_time;
  record.description = description;
  {
    StdMutexLock lock(mu_);
    by_hash_[record.hash_hex] = record;
  }
  store_->AppendAudit({record.created_unix_nanos, "token_created", record.token_id,
                       absl::StrCat("role=", gridbench::v1::Role_Name(role)), ""});
  store_->InsertToken(record, [done = std::move(done), created](absl::Status status) {
    if (!status.ok()) return done(status);
    done(created);
  });
}

absl::StatusOr<Principal> TokenAuthority::Authorize(const std::string& bearer_token, Role needed) {
  if (bearer_token.empty()) {
    return absl::UnauthenticatedError("missing bearer token (authorization: Bearer <token>)");
  }
  StdMutexLock lock(mu_);
  auto it = by_hash_.find(Sha256Hex(bearer_token));
  if (it == by_hash_.end()) return absl::UnauthenticatedError("unknown token");
  TokenRecord& record = it->second;
  if (record.revoked) return absl::UnauthenticatedError("token revoked");
  if (record.used) return absl::UnauthenticatedError("one-time token already used");
  if (record.expires_unix_nanos != 0 && clock_->NowNanos() > record.expires_unix_nanos) {
    return absl::UnauthenticatedError("token expired");
  }
  if (!RoleAllows(record.role, needed)) {
    return absl::PermissionDeniedError(absl::StrCat("token role ", Role_Name(record.role),
                                                    " may not do this; needs ",
                                                    Role_Name(needed)));
  }
  if (record.one_time) {
    record.used = true;
    store_->UpdateToken(record);
  }
  return Principal{record.token_id, record.role};
}

absl::Status TokenAuthority::Revoke(const std::string& token_id) {
  StdMutexLock lock(mu_);
  for (auto& [hash, record] : by_hash_) {
    if (record.token_id != token_id) continue;
    record.revoked = true;
    store_->UpdateToken(record);
    store_->AppendAudit({clock_->NowNanos(), "token_revoked", token_id, "", ""});
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no token ", token_id));
}

absl::StatusOr<bool> TokenAuthority::EnsureAdminToken(const std::string& path) {
  {
    StdMutexLock lock(mu_);
    for (const auto& [hash, record] : by_hash_) {
      const bool live = !record.revoked && (record.expires_unix_nanos == 0 ||
                                            record.expires_unix_nanos > clock_->NowNanos());
      if (record.role == gridbench::v1::ROLE_ADMIN && live) return false;
    }
  }
  absl::StatusOr<CreatedToken> created = absl::UnknownError("token not created");
  Create(gridbench::v1::ROLE_ADMIN, 0, false, "initial admin token",
         [&created](absl::StatusOr<CreatedToken> c) { created = std::move(c); });
  // Flush returns after the insert's callback has run.
  if (absl::Status s = store_->Flush(); !s.ok()) return s;
  if (!created.ok()) return created.status();
  if (absl::Status s = WriteSecretFile(path, created->token + "\n"); !s.ok()) return s;
  return true;
}

std::string BearerTokenFrom(const std::string& header) {
  if (!absl::StartsWith(header, kBearerPrefix)) return "";
  return header.substr(std::strlen(kBearerPrefix));
}

}  // namespace gridbench::coordinator
