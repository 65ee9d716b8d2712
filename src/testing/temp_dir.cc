#include "testing/temp_dir.h"

#include <stdlib.h>

#include <system_error>

#include "base/check.h"

namespace om::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "om_test_XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  OM_CHECK(made != nullptr) << "mkdtemp failed";
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace om::testing
