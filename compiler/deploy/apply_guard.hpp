#pragma once
// What apply makes sure of before it runs anything: that it is alone, that it
// talks to a real session (not a transaction-mode pooler), and that its role
// may do what the plan asks.
#include "compiler/deploy/apply.hpp"

namespace schemac {

// Session advisory lock kApplyLockKey, released when this goes out of scope
// (or with the connection). Throws ApplyError when another apply holds it and
// wait is false.
class ApplyLock {
 public:
  ApplyLock(Db& db, bool wait);
  ~ApplyLock();
  ApplyLock(const ApplyLock&) = delete;
  ApplyLock& operator=(const ApplyLock&) = delete;

 private:
  Db& db_;
};

// A transaction-mode pooler (PgBouncer, Supavisor on 6543) hands each
// transaction whichever server connection is free: session advisory locks and
// settings do not survive, so two applies could run at once. Throws
// ApplyError when the evidence says so.
void refuse_transaction_pooler(Db& db);

// Throws ApplyError naming each privilege the role lacks: ownership of tables
// the plan alters, CREATE on schemas it creates tables in, CREATEROLE.
void check_privileges(Db& db, const Plan& plan);

}  // namespace schemac
