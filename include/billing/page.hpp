// Page<T>: one page of a listing and the cursor of the next, shared by every area that lists (accounts,
// entries, and each later area), with the helpers that check a page's limit and cut a fetch into a page.
// Plain values; safe to share once built.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace billing {

/// One page of a listing, and the cursor for the next page (absent on the last one).
template <class T>
struct Page {
  std::vector<T> items{};
  std::optional<std::string> next_cursor{};
};

namespace detail {

/// The most items one page holds.
inline constexpr std::size_t k_max_page = 1000;

/// Throws InvalidArgument (field "limit") unless 1 <= limit <= k_max_page.
void check_page_limit(std::size_t limit);

/// A page from up to `limit` + 1 fetched items: the first `limit`, and, when there were more, the
/// cursor of the last one kept (`cursor_of(item)`).
template <class T, class CursorOf>
[[nodiscard]] Page<T> make_page(std::vector<T> fetched, std::size_t limit, CursorOf&& cursor_of) {
  Page<T> page{std::move(fetched), std::nullopt};
  if (page.items.size() > limit) {
    page.items.erase(page.items.begin() + static_cast<std::ptrdiff_t>(limit), page.items.end());
    page.next_cursor = cursor_of(page.items.back());
  }
  return page;
}

}  // namespace detail
}  // namespace billing
