// The in-memory payment rows, their history, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "billing/storage/payment_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct PaymentTable {
  std::map<std::string, Payment, std::less<>> rows;  // by id, so that list() runs in id order
  std::map<std::string, std::string, std::less<>> by_request_key;  // request key -> payment id, each key once
  // The payments by (status, id) and by (customer, id): what list() reads for a filter, as SQLite's indexes.
  std::set<std::pair<PaymentStatus, std::string>> by_status;
  std::set<std::pair<std::string, std::string>> by_customer;
  std::map<std::string, std::vector<PaymentChange>, std::less<>> history;  // by payment id, oldest first
};

class Payments final : public PaymentRepository {
 public:
  Payments(Session& session, PaymentTable& table) noexcept : session_(session), table_(table) {}

  bool insert(const Payment& payment) override;
  std::optional<Payment> find(const PaymentId& id) override;
  std::optional<Payment> find_by_request_key(std::string_view key) override;
  void update(const Payment& payment, const PaymentChange& change) override;
  std::vector<PaymentChange> history(const PaymentId& id) override;
  std::vector<Payment> list(const PaymentFilter& filter, const std::string& after, std::size_t limit) override;

 private:
  Session& session_;
  PaymentTable& table_;
};

}  // namespace billing::detail::memory
