// The GoogleTest main of every lab's test binary: prints the process seed first (so a failure can
// always be reproduced) and the rerun command after a failing test.
#include <cstdio>

#include <gtest/gtest.h>

#include "aisys/harness/testing.hpp"

namespace {
class RerunPrinter : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result() != nullptr && info.result()->Failed()) {
      std::printf("[ aisys ] %s.%s failed with seed %llu; rerun: %s\n", info.test_suite_name(),
                  info.name(), static_cast<unsigned long long>(aisys::testing::test_seed()),
                  aisys::testing::rerun_command().c_str());
    }
  }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  aisys::testing::test_seed();
  ::testing::UnitTest::GetInstance()->listeners().Append(new RerunPrinter);
  return RUN_ALL_TESTS();
}
