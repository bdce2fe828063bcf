// Text shared by the health report's grading and its printing. Internal to src/health/.
#pragma once

#include <chrono>
#include <string>

namespace billing::detail {

/// An age for people: "0s", "1.5s", "5m", "1h 2m 3s", "2d 4h".
[[nodiscard]] std::string duration_text(std::chrono::microseconds age);

}  // namespace billing::detail
