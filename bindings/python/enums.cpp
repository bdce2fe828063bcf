#include "enums.hpp"

#include <cctype>

namespace billing::python {

py::object make_enum(py::module_& m, const char* name, const char* doc, const std::vector<std::string>& names) {
  static const auto* enum_class = new py::object(py::module_::import("enum").attr("Enum"));  // leaked: see convert.cpp
  py::list members;
  for (const auto& member : names) {
    std::string value = member;
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    members.append(py::make_tuple(member, value));
  }
  // module and qualname make pickle find the class as billing.<name>.
  py::object cls = (*enum_class)(name, members, py::arg("module") = "billing", py::arg("qualname") = name);
  cls.attr("__doc__") = doc;
  m.add_object(name, cls);
  return cls;
}

}  // namespace billing::python
