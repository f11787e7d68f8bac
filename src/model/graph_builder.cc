#include "model/graph_builder.h"

#include <onnx/onnx_pb.h>

#include "model/graph_edit.h"
#include "util/version.h"

namespace fruits::model {

GraphBuilder::GraphBuilder(int64_t opset) : proto_(std::make_unique<onnx::ModelProto>()) {
  proto_->set_ir_version(onnx::IR_VERSION_2020_5_8);  // IR 7: the version that brought opset 13
  proto_->set_producer_name("fruits");
  proto_->set_producer_version(kVersion);
  auto& import = *proto_->add_opset_import();
  import.set_domain("");
  import.set_version(opset);
  proto_->mutable_graph()->set_name("fruits");
}

GraphBuilder::GraphBuilder(onnx::ModelProto model)
    : proto_(std::make_unique<onnx::ModelProto>(std::move(model))) {}

GraphBuilder::~GraphBuilder() = default;

std::string GraphBuilder::Input(const std::string& name, const std::vector<int64_t>& shape) {
  graph::DescribeTensor(*proto_->mutable_graph()->add_input(), name, onnx::TensorProto::FLOAT,
                        shape);
  return name;
}

std::string GraphBuilder::Initializer(const std::string& name, const std::vector<int64_t>& dims,
                                      const std::vector<float>& values) {
  auto& tensor = *proto_->mutable_graph()->add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tensor.add_dims(d);
  tensor.set_raw_data(values.data(), values.size() * sizeof(float));
  return name;
}

std::string GraphBuilder::Int64Initializer(const std::string& name,
                                           const std::vector<int64_t>& dims,
                                           const std::vector<int64_t>& values) {
  auto& tensor = *proto_->mutable_graph()->add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) tensor.add_dims(d);
  tensor.set_raw_data(values.data(), values.size() * sizeof(int64_t));
  return name;
}

std::string GraphBuilder::Node(const std::string& op_type, const std::vector<std::string>& inputs,
                               const std::string& output,
                               const std::vector<Attribute>& attributes) {
  auto& node = *proto_->mutable_graph()->add_node();
  node.set_op_type(op_type);
  node.set_name(output);
  for (const auto& input : inputs) node.add_input(input);
  node.add_output(output);
  for (const auto& attribute : attributes) {
    auto& proto = *node.add_attribute();
    proto.set_name(attribute.name);
    if (const auto* i = std::get_if<int64_t>(&attribute.value)) {
      proto.set_type(onnx::AttributeProto::INT);
      proto.set_i(*i);
    } else if (const auto* f = std::get_if<float>(&attribute.value)) {
      proto.set_type(onnx::AttributeProto::FLOAT);
      proto.set_f(*f);
    } else if (const auto* text = std::get_if<std::string>(&attribute.value)) {
      proto.set_type(onnx::AttributeProto::STRING);
      proto.set_s(*text);
    } else {
      proto.set_type(onnx::AttributeProto::INTS);
      for (int64_t v : std::get<std::vector<int64_t>>(attribute.value)) proto.add_ints(v);
    }
  }
  return output;
}

void GraphBuilder::Output(const std::string& tensor, const std::vector<int64_t>& shape) {
  graph::DescribeTensor(*proto_->mutable_graph()->add_output(), tensor, onnx::TensorProto::FLOAT,
                        shape);
}

void GraphBuilder::Metadata(const std::string& key, const std::string& value) {
  auto& entry = *proto_->add_metadata_props();
  entry.set_key(key);
  entry.set_value(value);
}

std::string GraphBuilder::Serialize() const {
  std::string bytes;
  proto_->SerializeToString(&bytes);
  return bytes;
}

}  // namespace fruits::model
