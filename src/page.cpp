#include "billing/page.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail {

void check_page_limit(std::size_t limit) {
  if (limit == 0 || limit > k_max_page) {
    throw InvalidArgument("limit", fmt::format("{} is outside 1..{}", limit, k_max_page));
  }
}

}  // namespace billing::detail
