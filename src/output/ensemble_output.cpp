#include "dislo/ensemble_output.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dislo/chaos.hpp"
#include "dislo/mpi_util.hpp"

namespace dislo {

void write_ensemble(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                    const EnsembleResult& res) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const auto& times = study.run.times;
  const std::size_t nt = times.size(), R = std::size_t(res.replicas);
  out.set_attribute(group + "/replicas", "count", std::int64_t(res.replicas));
  const auto mean = broadcast_from_root(comm, res.mean),
             err = broadcast_from_root(comm, res.stderr_);
  for (std::size_t m = 0; m < res.metric_names.size(); ++m) {
    // "mf/<kind>_<sign>" (RW against MF) goes to <group>/metrics_mf/<kind>_<sign>.
    const std::string& name = res.metric_names[m];
    const std::string g = name.rfind("mf/", 0) == 0      ? group + "/metrics_mf/" + name.substr(3)
                          : name.rfind("chaos/", 0) == 0 ? group + "/" + name
                                                         : group + "/metrics/" + name;
    out.write_vector(g + "/mean",
                     std::vector<double>(mean.begin() + m * nt, mean.begin() + (m + 1) * nt));
    out.write_vector(g + "/stderr",
                     std::vector<double>(err.begin() + m * nt, err.begin() + (m + 1) * nt));
    out.write_matrix(g + "/values", R, nt, rank == 0 ? res.values[m] : std::vector<double>{});
  }
  out.write_vector(group + "/kappa", broadcast_from_root(comm, res.kappa));
  const int G = res.law_grid;
  const char* names[2] = {"rho_plus", "rho_minus"};
  const char* l2[2] = {"l2_plus", "l2_minus"};
  for (int s = 0; s < 2; ++s) {
    const std::string d = group + "/law/" + names[s];
    out.create_field(d, times, G);
    const auto& law = s == 0 ? res.law_plus : res.law_minus;
    for (std::size_t t = 0; t < nt; ++t)
      out.write_field_rows(d, int(t), 0, rank == 0 ? G : 0,
                           rank == 0 ? law.data() + t * std::size_t(G) * G : nullptr);
    out.write_vector(group + "/law/" + l2[s], broadcast_from_root(comm, res.law_l2[s]));
    out.write_vector(group + "/law/" + l2[s] + "_stderr",
                     broadcast_from_root(comm, res.law_l2_stderr[s]));
    const std::string sign = s == 0 ? "plus" : "minus";
    out.write_vector(group + "/law/chi2_" + sign, broadcast_from_root(comm, res.law_chi2[s]));
    out.write_vector(group + "/law/chi2_cells_" + sign,
                     broadcast_from_root(comm, res.law_cells[s]));
  }
  out.write_vector(group + "/law/r", broadcast_from_root(comm, res.r));
  const std::size_t nr = std::size_t(study.metrics.pair_bins);
  out.write_matrix(group + "/law/pair_opposite", nt, nr, res.pair_opposite);
  out.write_matrix(group + "/law/pair_equal", nt, nr, res.pair_equal);
  const auto seconds =
      broadcast_from_root(comm, {res.seconds_simulate, res.seconds_metrics, double(res.work)});
  out.set_attribute(group, "seconds_simulate", seconds[0]);
  out.set_attribute(group, "seconds_metrics", seconds[1]);
  out.set_attribute(group + "/metrics", "grid", std::int64_t(study.metrics.grid));
  out.set_attribute(group + "/metrics", "stencil", std::int64_t(study.metrics.stencil));
  out.set_attribute(group + "/metrics", "hs_order", study.metrics.hs_order);
  out.set_attribute(group + "/metrics", "hs_modes", std::int64_t(study.metrics.hs_modes));
}

void write_chaos_bound(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                       const EnsembleResult& res, double C_V, double interpolation_error) {
  double kappa = 0;
  for (double k : res.kappa) kappa += k;
  kappa /= std::max<double>(1, double(res.kappa.size()));
  MPI_Bcast(&kappa, 1, MPI_DOUBLE, 0, comm);
  std::vector<double> bound;
  for (double t : study.run.times)
    bound.push_back(coupling_bound(C_V, study.model.delta, study.model.n, kappa, t));
  out.write_vector(group + "/chaos/bound", bound);
  out.set_attribute(group + "/chaos", "C_V", C_V);
  out.set_attribute(group + "/chaos", "kappa_mean", kappa);
  out.set_attribute(group + "/chaos", "frames", std::int64_t(study.chaos.frames));
  out.set_attribute(group + "/chaos", "bound_formula",
                    std::string("2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2) "
                                "(Lemma 4.2)"));
  if (group == "/sde")
    out.set_attribute(group + "/chaos", "force_interpolation_error", interpolation_error);
  else
    out.set_attribute(group + "/chaos", "time_change_max_n",
                      std::int64_t(study.chaos.time_change_max_n));
}

}  // namespace dislo
