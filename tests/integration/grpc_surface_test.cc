// What operators and grpc_cli see without a .proto file or a token: server
// reflection and the standard health service. Oversized requests are refused.
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster_harness.h"

namespace gridbench::testing {
namespace {

TEST(GrpcSurfaceTest, HealthAndReflectionNeedNoToken) {
  ClusterHarness cluster("surface");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  auto channel = grpc::CreateChannel(cluster.address(), grpc::InsecureChannelCredentials());

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckResponse check;
  grpc::Status status = health->Check(ClusterHarness::Context("").get(), {}, &check);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(check.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  auto context = ClusterHarness::Context("");
  auto stream = reflection->ServerReflectionInfo(context.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::set<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.contains("gridbench.v1.Gridbench"));
  EXPECT_TRUE(services.contains("gridbench.v1.WorkerGateway"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(GrpcSurfaceTest, OversizedRequestIsRefused) {
  ClusterHarness cluster("oversized");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  // The client's own limit is the shared 16 MiB, so build the channel with a
  // larger one to get the request onto the wire.
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(cluster.address(), grpc::InsecureChannelCredentials(),
                                           args);
  auto api = gridbench::v1::Gridbench::NewStub(channel);
  gridbench::v1::SubmitJobRequest request;
  request.set_job_yaml(std::string(17 << 20, '#'));
  gridbench::v1::SubmitJobResponse response;
  grpc::Status status =
      api->SubmitJob(ClusterHarness::Context(cluster.admin_token()).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
}

}  // namespace
}  // namespace gridbench::testing
