// A host that found billing with find_package: if this builds and prints, the installed package works.
#include <billing/billing.hpp>

#include <fmt/format.h>

int main() {
  const billing::Money total = billing::Money::parse("19.99 USD").multiply(3);
  fmt::print("billing {}: {}\n", billing::k_version, total);
  return total == billing::Money::parse("59.97 USD") ? 0 : 1;
}
