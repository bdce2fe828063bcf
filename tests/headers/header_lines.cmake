# What a host pays to include a public header: preprocesses one translation unit per header
# (`#include <billing/X.hpp>`) with the configured compiler and the project's include directories, counts
# the lines it prints (line markers included, as plain `c++ -E ... | wc -l` does), prints every count,
# and fails when a header with a budget passes it. Run by ctest as unit.header_lines:
#
#   cmake -DCOMPILER=g++ -DSTD_FLAG=-std=c++20 "-DINCLUDE_DIRS=include|build/include"
#         "-DSYSTEM_INCLUDE_DIRS=/usr/include" -DWORK_DIR=build/tests/header_lines -P header_lines.cmake
#
# INCLUDE_DIRS and SYSTEM_INCLUDE_DIRS are separated by '|' (ctest would split a ';' list).
cmake_minimum_required(VERSION 3.21)

set(k_max_lines 40000)
# The value headers a host includes most, each under k_max_lines: only the standard library, and none of
# <chrono> (46,000 lines alone with libstdc++ 12), <memory> (52,000), <functional> or a third-party header.
set(budgeted money decimal currency rounding error id page)
# Counted for information. time.hpp needs <chrono> for Timestamp::Duration (std::chrono::microseconds),
# so it cannot reach the budget; format.hpp is fmt's <fmt/format.h>; books.hpp and billing.hpp are the
# whole API.
set(information time format books billing)

foreach(variable COMPILER STD_FLAG INCLUDE_DIRS WORK_DIR)
  if(NOT DEFINED ${variable} OR "${${variable}}" STREQUAL "")
    message(FATAL_ERROR "header_lines.cmake needs -D${variable}=...")
  endif()
endforeach()

set(flags ${STD_FLAG})
string(REPLACE "|" ";" include_dirs "${INCLUDE_DIRS}")
foreach(dir IN LISTS include_dirs)
  list(APPEND flags "-I${dir}")
endforeach()
if(DEFINED SYSTEM_INCLUDE_DIRS AND NOT SYSTEM_INCLUDE_DIRS STREQUAL "")
  string(REPLACE "|" ";" system_dirs "${SYSTEM_INCLUDE_DIRS}")
  foreach(dir IN LISTS system_dirs)
    list(APPEND flags "-isystem" "${dir}")
  endforeach()
endif()

file(MAKE_DIRECTORY "${WORK_DIR}")
set(over "")
foreach(header IN LISTS budgeted information)
  set(source "${WORK_DIR}/${header}.cpp")
  file(WRITE "${source}" "#include <billing/${header}.hpp>\n")
  execute_process(COMMAND "${COMPILER}" -E ${flags} -x c++ "${source}"
                  OUTPUT_FILE "${WORK_DIR}/${header}.i" ERROR_VARIABLE errors RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "preprocessing billing/${header}.hpp failed (${result}):\n${errors}")
  endif()
  file(READ "${WORK_DIR}/${header}.i" text)
  string(LENGTH "${text}" with_newlines)
  string(REPLACE "\n" "" text "${text}")
  string(LENGTH "${text}" without_newlines)
  math(EXPR lines "${with_newlines} - ${without_newlines}")

  if(header IN_LIST budgeted)
    if(lines LESS k_max_lines)
      set(verdict "under ${k_max_lines}")
    else()
      set(verdict "OVER ${k_max_lines}")
      list(APPEND over "billing/${header}.hpp (${lines})")
    endif()
  else()
    set(verdict "for information")
  endif()
  string(LENGTH "billing/${header}.hpp${lines}" width)
  math(EXPR pad "32 - ${width}")
  string(REPEAT " " ${pad} spaces)
  message(STATUS "billing/${header}.hpp${spaces}${lines} lines  ${verdict}")
endforeach()

if(over)
  list(JOIN over ", " over)
  message(FATAL_ERROR "over the budget of ${k_max_lines} preprocessed lines: ${over}. A value header may include "
                      "only small standard headers; move what is heavy behind src/ or into its own header.")
endif()
