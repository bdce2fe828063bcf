// Page<T> and its helpers (billing/page.hpp), which every area that lists uses.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "billing/error.hpp"
#include "billing/page.hpp"

using namespace billing;

TEST_CASE("make_page keeps the first limit items and gives the last one's cursor when more were fetched") {
  const auto cursor = [](int item) { return std::to_string(item); };
  const Page<int> full = detail::make_page(std::vector<int>{1, 2, 3, 4}, 3, cursor);
  CHECK(full.items == std::vector<int>{1, 2, 3});
  CHECK(full.next_cursor == "3");
  const Page<int> last = detail::make_page(std::vector<int>{1, 2, 3}, 3, cursor);
  CHECK(last.items == std::vector<int>{1, 2, 3});
  CHECK_FALSE(last.next_cursor.has_value());
  CHECK(detail::make_page(std::vector<int>{}, 3, cursor).items.empty());
}

TEST_CASE("a page limit is 1 to k_max_page, naming the field") {
  CHECK_NOTHROW(detail::check_page_limit(1));
  CHECK_NOTHROW(detail::check_page_limit(detail::k_max_page));
  for (const std::size_t bad : {std::size_t{0}, detail::k_max_page + 1}) {
    try {
      detail::check_page_limit(bad);
      FAIL("accepted " << bad);
    } catch (const InvalidArgument& e) {
      CHECK(e.field() == "limit");
    }
  }
}
