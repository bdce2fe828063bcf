// One listing page, as every area binds it (docs/python.md, "Pages"): `.items`, `.next_cursor`, and a repr
// that counts the items, `AccountPage(3 items, next_cursor='...')`.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <string>

#include "billing/page.hpp"
#include "repr.hpp"

namespace billing::python {

/// Binds Page<T> as `name`. `listing` names the calls that return it ("accounts.list"), `items` says what the
/// items are and in which order ("The accounts of this page, in id order.").
template <class T>
void bind_page(py::module_& m, const char* name, const char* listing, const char* items) {
  const std::string doc = fmt::format(
      "One page of {}: .items, and .next_cursor for the next page (None after the last).", listing);
  py::class_<Page<T>>(m, name, doc.c_str())
      .def_readonly("items", &Page<T>::items, items)
      .def_readonly("next_cursor", &Page<T>::next_cursor,
                    "Pass it as cursor= for the next page of the same listing; None when this page is the last.")
      .def("__repr__", [type = std::string(name)](const Page<T>& page) {
        return fmt::format("{}({}, next_cursor={})", type, count_of(page.items.size(), "item"),
                           repr_of(page.next_cursor));
      });
}

}  // namespace billing::python
