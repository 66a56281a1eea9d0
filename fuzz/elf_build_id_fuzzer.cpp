// fuzz/elf_build_id_fuzzer.cpp - sigkit::cli::elf_build_id: the GNU build-id of an ELF64 file
// (`sigkit symbolize` reads every module and debug file it is pointed at).
//
// Invariants: it never throws nor reads outside the bytes (ASan); the result is "" or
// lowercase hex of even length, no longer than the bytes allow; it is "" for anything that is
// not a little-endian ELF64 image.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = sigkit_fuzz::as_text(data, size);
  const std::string id = sigkit::cli::elf_build_id(bytes);
  SIGKIT_FUZZ_CHECK(id.size() % 2 == 0 && id.size() / 2 <= bytes.size() &&
                        id.find_first_not_of("0123456789abcdef") == std::string::npos,
                    bytes, "build-id \"" + sigkit_fuzz::escaped(id) + "\"");
  const bool elf64 = bytes.size() >= 6 &&
                     bytes.substr(0, 4) ==
                         "\x7f"
                         "ELF" &&
                     bytes[4] == 2 && bytes[5] == 1;
  if (!elf64) {
    SIGKIT_FUZZ_CHECK(id.empty(), bytes, "a build-id from something that is not ELF64: " + id);
  }
  return 0;
}
