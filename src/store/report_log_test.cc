#include "store/report_log.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace om::store {
namespace {

std::vector<std::string> ReadAll(const std::string& dir, ReadStats* stats = nullptr) {
  std::vector<std::string> out;
  auto r = ReadLog(dir, {}, [&](std::string_view p, LogPosition) { out.emplace_back(p); });
  EXPECT_TRUE(r.ok());
  if (stats && r.ok()) *stats = *r;
  return out;
}

std::string Framed(std::initializer_list<std::string> payloads) {
  std::string out;
  for (const auto& p : payloads) FrameRecord(p, out);
  return out;
}

TEST(ReportLogTest, AppendsAndReadsBackInOrder) {
  testing::TempDir dir;
  auto log = ReportLog::Open({.dir = dir.str()});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Framed({"one", "two"})).ok());
  ASSERT_TRUE((*log)->Append(Framed({"three"})).ok());
  ASSERT_TRUE((*log)->Sync().ok());
  EXPECT_EQ(ReadAll(dir.str()), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(ReportLogTest, RollsOverSegmentsAndReadsFromPosition) {
  testing::TempDir dir;
  auto log = ReportLog::Open({.dir = dir.str(), .segment_bytes = 64});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE((*log)->Append(Framed({"record-" + std::to_string(i)})).ok());
  EXPECT_GT((*log)->segments().size(), 3u);
  std::vector<LogPosition> positions;
  ASSERT_TRUE(ReadLog(dir.str(), {}, [&](std::string_view, LogPosition next) {
                positions.push_back(next);
              }).ok());
  ASSERT_EQ(positions.size(), 20u);
  std::vector<std::string> tail;
  ASSERT_TRUE(ReadLog(dir.str(), positions[9], [&](std::string_view p, LogPosition) {
                tail.emplace_back(p);
              }).ok());
  ASSERT_EQ(tail.size(), 10u);
  EXPECT_EQ(tail.front(), "record-10");
}

TEST(ReportLogTest, TornTailIsTruncatedOnOpenAndAppendsContinue) {
  testing::TempDir dir;
  {
    auto log = ReportLog::Open({.dir = dir.str()});
    ASSERT_TRUE((*log)->Append(Framed({"kept-1", "kept-2"})).ok());
    std::string torn = Framed({"torn-record-payload"});
    torn.resize(torn.size() - 5);  // a write cut short by a crash
    ASSERT_TRUE((*log)->Append(torn).ok());
  }
  uint64_t truncated = 0;
  auto log = ReportLog::Open({.dir = dir.str()}, &truncated);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(truncated, kRecordHeaderBytes + 19 - 5);
  ASSERT_TRUE((*log)->Append(Framed({"after"})).ok());
  EXPECT_EQ(ReadAll(dir.str()), (std::vector<std::string>{"kept-1", "kept-2", "after"}));
}

TEST(ReportLogTest, FlippedByteInTailFailsCrcAndIsTruncated) {
  testing::TempDir dir;
  {
    auto log = ReportLog::Open({.dir = dir.str()});
    ASSERT_TRUE((*log)->Append(Framed({"good", "flipped"})).ok());
  }
  std::string path = dir.str() + "/" + SegmentFileName(1);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('X');
  }
  auto log = ReportLog::Open({.dir = dir.str()});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(ReadAll(dir.str()), (std::vector<std::string>{"good"}));
}

TEST(ReportLogTest, CorruptionInOlderSegmentSkipsRestOfThatSegmentOnly) {
  testing::TempDir dir;
  {
    auto log = ReportLog::Open({.dir = dir.str(), .segment_bytes = 40});
    for (int i = 0; i < 6; ++i)
      ASSERT_TRUE((*log)->Append(Framed({"r" + std::to_string(i) + "-xxxxxxxx"})).ok());
  }
  std::string first = dir.str() + "/" + SegmentFileName(1);
  {
    std::fstream f(first, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(kLogHeaderBytes + 1);
    f.put('\x7f');
  }
  ReadStats stats;
  auto all = ReadAll(dir.str(), &stats);
  EXPECT_GT(stats.corrupt_bytes_skipped, 0u);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), "r5-xxxxxxxx");
  EXPECT_NE(all.front(), "r0-xxxxxxxx");
}

TEST(ReportLogTest, DropSegmentsBeforeKeepsCurrent) {
  testing::TempDir dir;
  auto log = ReportLog::Open({.dir = dir.str(), .segment_bytes = 40});
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE((*log)->Append(Framed({"payload-" + std::to_string(i)})).ok());
  auto before = (*log)->segments();
  ASSERT_GT(before.size(), 2u);
  ASSERT_TRUE((*log)->DropSegmentsBefore(1000).ok());
  auto after = (*log)->segments();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], before.back());
}

}  // namespace
}  // namespace om::store
