#include "billing/payment.hpp"

namespace billing {

std::string_view to_string(PaymentStatus status) noexcept {
  switch (status) {
    case PaymentStatus::validated: return "validated";
    case PaymentStatus::processing: return "processing";
    case PaymentStatus::processed: return "processed";
    case PaymentStatus::failed: return "failed";
    case PaymentStatus::unknown: return "unknown";
    case PaymentStatus::dead_lettered: return "dead_lettered";
  }
  return "?";
}

std::vector<std::pair<PaymentStatus, PaymentStatus>> payment_transitions() {
  std::vector<std::pair<PaymentStatus, PaymentStatus>> pairs;
  for (PaymentStatus from : k_payment_statuses) {
    for (PaymentStatus to : k_payment_statuses) {
      if (payment_transition_allowed(from, to)) pairs.emplace_back(from, to);
    }
  }
  return pairs;
}

}  // namespace billing
