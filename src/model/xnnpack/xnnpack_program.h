// A plan made executable for one batch size: partitioned execution.
//
// The plan's operators, in order, fall into runs that XNNPACK executes ("islands", one XNNPACK
// runtime each) and operators our own kernels execute (model/kernels) between them. A tensor
// that crosses from one to another lives in a buffer of the program; the buffers are planned once
// when the program is built, a buffer going to a later tensor once its last reader has run, and
// every runtime is bound to its buffers then. A plan without operators outside XNNPACK is one
// island: the whole graph in one XNNPACK runtime, as fast as XNNPACK alone.
#pragma once

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <vector>

#include "model/xnnpack/xnnpack_translator.h"

namespace fruits::model::xnn {

// XNNPACK's one-time set-up, before any program is built; safe to call again. Throws fruits::Error
// when XNNPACK cannot run on this CPU.
void InitializeXnnpack();

class Program {
 public:
  // `plan` and `pool` (null: the caller's thread) must outlive the program. Throws fruits::Error
  // when XNNPACK refuses a subgraph.
  Program(const Plan& plan, pthreadpool_t pool, size_t batch);
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Reads batch x image floats (NHWC) and writes batch x feature_dim floats. Returns the
  // nanoseconds spent in our own kernels.
  int64_t Run(const float* images, float* features);

  // After Run(): a value of Plan::observed, whole, and its physical dimensions.
  const float* Data(uint32_t value) const { return data_[value]; }
  const std::vector<size_t>& Dims(uint32_t value) const { return dims_[value]; }

 private:
  struct Island;
  // An island to invoke, or one operator for our kernels.
  struct Step {
    bool on_xnnpack = true;
    size_t index = 0;  // into islands_, or into plan_.ops
  };

  void PlanSteps();
  void PlanBuffers();
  void BuildIslands();
  void RunKernel(const Op& op);

  const Plan& plan_;
  pthreadpool_t pool_;
  size_t batch_;
  // Per plan value: its dimensions at this batch size, the step that computes it and the last
  // that reads it (-1: the input), and its buffer (null for a value internal to an island).
  std::vector<std::vector<size_t>> dims_;
  std::vector<int> produced_at_;
  std::vector<int> last_read_at_;
  std::vector<float*> data_;
  std::vector<Step> steps_;
  // Per island: the operators it runs.
  std::vector<std::vector<size_t>> island_ops_;
  std::vector<std::unique_ptr<Island>> islands_;
  std::vector<std::vector<float>> buffers_;
};

}  // namespace fruits::model::xnn
