// GatewayScope: one library call that may call a Python gateway (or another Python callback) on this thread, with
// the GIL released. bind_payment_lifecycle.cpp's PyPaymentGateway keeps an interrupt here; books.payments and
// books.collections run their calls through it.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <utility>

namespace billing::python {

namespace py = pybind11;

// One payments call that may call a Python gateway, on this thread. A gateway that raised an exception
// that is not an Exception (KeyboardInterrupt, SystemExit) is kept here: the library has recorded the
// call as failed, the gateway is not called again within this payments call, and the exception is raised
// when the call returns.
class GatewayScope {
 public:
  GatewayScope() : previous_(current_) { current_ = this; }
  ~GatewayScope() { current_ = previous_; }
  GatewayScope(const GatewayScope&) = delete;
  GatewayScope& operator=(const GatewayScope&) = delete;

  /// Runs `call` with the GIL released; raises a kept interrupt after it.
  template <class Call>
  auto run(const Call& call) {
    try {
      auto result = [&] {
        py::gil_scoped_release release;
        return call();
      }();
      if (interrupt_) throw std::move(*interrupt_);
      return result;
    } catch (const py::error_already_set&) {
      throw;
    } catch (...) {
      if (interrupt_) throw std::move(*interrupt_);  // before what the library threw after it
      throw;
    }
  }

  /// Keeps `error` when it is an interrupt and a scope is open. With the GIL held.
  static void keep_if_interrupt(py::error_already_set& error) {
    if (current_ == nullptr || error.matches(PyExc_Exception) || current_->interrupt_) return;
    current_->interrupt_ = std::move(error);
  }

  static bool interrupted() { return current_ != nullptr && current_->interrupt_.has_value(); }

 private:
  static inline thread_local GatewayScope* current_ = nullptr;
  GatewayScope* previous_;
  std::optional<py::error_already_set> interrupt_;
};

}  // namespace billing::python
