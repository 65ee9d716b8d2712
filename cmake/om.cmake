# Shared build rules: warning flags live on om_flags, every module is declared with om_module().

add_library(om_flags INTERFACE)
target_compile_options(om_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wimplicit-fallthrough -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(om_flags INTERFACE -Wthread-safety)
endif()

# om_module(name SOURCES a.cc ... TESTS a_test.cc ... DEPS base ... LIBS ext ... LABELS l ...)
# builds library om_<name> and, when TESTS are given, the test binary om_<name>_test registered as
# one ctest test.
function(om_module name)
  cmake_parse_arguments(M "" "" "SOURCES;TESTS;DEPS;LIBS;LABELS" ${ARGN})
  set(target om_${name})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    target_link_libraries(${target} PUBLIC om_flags)
    foreach(dep IN LISTS M_DEPS)
      target_link_libraries(${target} PUBLIC om_${dep})
    endforeach()
    target_link_libraries(${target} PUBLIC ${M_LIBS})
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE om_flags ${M_LIBS})
    foreach(dep IN LISTS M_DEPS)
      target_link_libraries(${target} INTERFACE om_${dep})
    endforeach()
  endif()
  if(M_TESTS)
    add_executable(${target}_test ${M_TESTS})
    target_link_libraries(${target}_test PRIVATE ${target} om_testing GTest::gtest GTest::gtest_main)
    add_test(NAME ${target}_test COMMAND ${target}_test)
    set(labels unit ${M_LABELS})
    set_tests_properties(${target}_test PROPERTIES LABELS "${labels}" TIMEOUT 120)
  endif()
endfunction()

# om_embed_file(target symbol file): links the bytes of `file` into `target`, readable from C++ as
#   extern "C" const char om_embed_<symbol>_begin[], om_embed_<symbol>_end[];
# The bytes are followed by one NUL (not counted in end - begin). Uses the assembler's .incbin, so
# a multi-megabyte file costs no compile time; the object is rebuilt when the file changes.
# Needs ASM among the project's languages.
function(om_embed_file target symbol file)
  set(asm "${CMAKE_BINARY_DIR}/gen/embed_${symbol}.S")
  file(WRITE "${asm}.in"
    "  .section .rodata\n"
    "  .global om_embed_${symbol}_begin\n"
    "  .global om_embed_${symbol}_end\n"
    "  .balign 16\n"
    "om_embed_${symbol}_begin:\n"
    "  .incbin \"${file}\"\n"
    "om_embed_${symbol}_end:\n"
    "  .byte 0\n"
    "  .section .note.GNU-stack,\"\",@progbits\n")
  configure_file("${asm}.in" "${asm}" COPYONLY)
  set_source_files_properties("${asm}" PROPERTIES OBJECT_DEPENDS "${file}")
  target_sources(${target} PRIVATE "${asm}")
endfunction()
