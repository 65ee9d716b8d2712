// The stream's message format (report_stream.h, EncodeMessage/DecodeMessage): what a node writes
// every other node must read back exactly, and bytes that are not a message are refused.
#include <gtest/gtest.h>

#include "cluster/report_stream.h"

namespace om::cluster {
namespace {

store::Report MakeReport(int n) {
  store::Report r;
  r.ts_ms = 1'780'000'000'000 + n;
  r.received_ms = r.ts_ms + 5;
  r.service = "service-" + std::to_string(n);
  r.problem = "login";
  r.reporter_key = 1000 + static_cast<uint64_t>(n);
  r.country = "BR";
  r.text = "falha " + std::to_string(n);
  return r;
}

TEST(StreamMessageTest, OneAndSeveralReportsReadBackExactly) {
  const std::vector<store::Report> reports = {MakeReport(1), MakeReport(2), MakeReport(3)};
  const std::vector<const store::Report*> pointers = {&reports[0], &reports[1], &reports[2]};
  for (size_t count : {size_t{1}, size_t{3}}) {
    StreamMessage message = EncodeMessage(pointers.data(), count);
    EXPECT_EQ(message.reports, count);
    Result<std::vector<store::Report>> decoded =
        DecodeMessage(message.body, static_cast<uint32_t>(count));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_EQ(decoded->size(), count);
    for (size_t i = 0; i < count; ++i) EXPECT_TRUE((*decoded)[i] == reports[i]) << i;
  }
  // One report is stored as the report log's payload, and keeps that report's own id.
  EXPECT_EQ(EncodeMessage(pointers.data(), 1).id, ReportStream::MessageId(reports[0]));
}

TEST(StreamMessageTest, TheIdIgnoresTheReceiveTimeButNotTheContent) {
  store::Report a = MakeReport(7), retried = MakeReport(7), other = MakeReport(7);
  retried.received_ms += 60'000;  // the same report sent again a minute later
  other.problem = "other";
  EXPECT_EQ(ReportStream::MessageId(a), ReportStream::MessageId(retried));
  EXPECT_NE(ReportStream::MessageId(a), ReportStream::MessageId(other));
  const store::Report* two[] = {&a, &other};
  const store::Report* two_retried[] = {&retried, &other};
  const store::Report* swapped[] = {&other, &a};
  EXPECT_EQ(EncodeMessage(two, 2).id, EncodeMessage(two_retried, 2).id);
  EXPECT_NE(EncodeMessage(two, 2).id, EncodeMessage(swapped, 2).id);
}

TEST(StreamMessageTest, BytesThatAreNotAMessageAreRefused) {
  const store::Report a = MakeReport(1), b = MakeReport(2);
  const store::Report* two[] = {&a, &b};
  const std::string body = EncodeMessage(two, 2).body;
  EXPECT_EQ(DecodeMessage(body.substr(0, body.size() - 1), 2).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeMessage(body.substr(0, 2), 2).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeMessage(body + "x", 2).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeMessage(body, 3).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeMessage("not a report", 1).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace om::cluster
