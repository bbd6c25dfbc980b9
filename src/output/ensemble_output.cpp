#include "dislo/ensemble_output.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dislo/chaos.hpp"
#include "dislo/mpi_util.hpp"

namespace dislo {

namespace {

// <group>/law: per sign the replica-averaged density, its standard error and the mean
// field's cell averages (G x G fields per time), the L2 distance and the cell test.
void write_law(MPI_Comm comm, OutputFile& out, const std::string& group, const EnsembleResult& res,
               const std::vector<double>& times) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const int G = res.law_grid;
  auto field = [&](const std::string& name, const std::vector<double>& data) {
    const std::string d = group + "/law/" + name;
    out.create_field(d, times, G);
    for (std::size_t t = 0; t < times.size(); ++t)
      out.write_field_rows(d, int(t), 0, rank == 0 ? G : 0,
                           rank == 0 ? data.data() + t * std::size_t(G) * G : nullptr);
  };
  auto vector = [&](const std::string& name, const std::vector<double>& data) {
    out.write_vector(group + "/law/" + name, broadcast_from_root(comm, data));
  };
  for (int s = 0; s < 2; ++s) {
    const std::string sign = s == 0 ? "plus" : "minus";
    field("rho_" + sign, s == 0 ? res.law_plus : res.law_minus);
    field("rho_" + sign + "_stderr", res.law_stderr[s]);
    field("reference_" + sign, res.law_reference[s]);
    vector("l2_" + sign, res.law_l2[s]);
    vector("l2_" + sign + "_stderr", res.law_l2_stderr[s]);
    vector("chi2_" + sign, res.law_chi2[s]);
    vector("chi2_cells_" + sign, res.law_cells[s]);
    vector("p_" + sign, res.law_p[s]);
  }
}

}  // namespace

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
    // A bracket ("<metric>/lower", "/upper"): the mean over replicas of each one's bound.
    if (name.ends_with("/lower") || name.ends_with("/upper")) {
      out.write_vector(g, std::vector<double>(mean.begin() + m * nt, mean.begin() + (m + 1) * nt));
      continue;
    }
    out.write_vector(g + "/mean",
                     std::vector<double>(mean.begin() + m * nt, mean.begin() + (m + 1) * nt));
    out.write_vector(g + "/stderr",
                     std::vector<double>(err.begin() + m * nt, err.begin() + (m + 1) * nt));
    out.write_matrix(g + "/values", R, nt, rank == 0 ? res.values[m] : std::vector<double>{});
  }
  out.write_vector(group + "/kappa", broadcast_from_root(comm, res.kappa));
  write_law(comm, out, group, res, times);
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

namespace {

// Rank 0's mean of metric `name` at every output time, on every rank.
std::vector<double> metric_mean(MPI_Comm comm, const EnsembleResult& res, const std::string& name,
                                std::size_t nt) {
  std::vector<double> mean;
  const auto it = std::find(res.metric_names.begin(), res.metric_names.end(), name);
  const std::size_t m = std::size_t(it - res.metric_names.begin());
  if (it != res.metric_names.end() && res.mean.size() >= (m + 1) * nt)
    mean.assign(res.mean.begin() + long(m * nt), res.mean.begin() + long((m + 1) * nt));
  return broadcast_from_root(comm, mean);
}

// eq. 18 (SDE) or eq. 20 (RW), models.md 5a: the Glivenko-Cantelli term of Lemma 4.3
// measured on Xbar (E bl(rhobar_n, rho), no fitted constant) plus the coupling lemma's
// explicit term; per sign, and their maximum (the bound for both signs).
void write_theorem_bound(MPI_Comm comm, OutputFile& out, const std::string& group,
                         const Study& study, const EnsembleResult& res, double C_V, double kappa) {
  const bool sde = group == "/sde";
  const std::size_t nt = study.run.times.size();
  const ModelParams& m = study.model;
  const std::string name = sde ? "bound_eq18" : "bound_eq20";
  std::vector<double> both(nt, 0.0);
  for (const char* sign : {"plus", "minus"}) {
    std::vector<double> bound = metric_mean(comm, res, std::string("chaos/xbar_bl_") + sign, nt);
    if (bound.size() != nt) return;  // no coupled process ran
    for (std::size_t t = 0; t < nt; ++t) {
      const double time = study.run.times[t];
      bound[t] += sde ? coupling_bound(C_V, m.delta, m.n, kappa, time)
                      : lattice_coupling_bound(C_V, m.delta, m.n, kappa, time, m.eps(), m.beta);
      both[t] = std::max(both[t], bound[t]);
    }
    out.write_vector(group + "/chaos/" + name + "_" + sign, bound);
  }
  out.write_vector(group + "/chaos/" + name, both);
  out.set_attribute(
      group + "/chaos/" + name, "terms",
      std::string(sde ? "eq. 18: measured E bl(Xbar_n, MF), certified from above "
                        "(chaos/xbar_bl_<sign>, in place of "
                        "Lemma 4.3's kappa + C log(n)/sqrt(n)) + explicit Lemma 4.2 term "
                        "2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2); max over signs"
                      : "eq. 20: measured E bl(Xbar_n^eps, MFeps), certified from above "
                        "(chaos/xbar_bl_<sign>, in place "
                        "of kappa + C log(n)/sqrt(n)) + explicit Lemma 5.2 term 4 C_V e^a t/delta "
                        "(1/sqrt(n) + kappa) exp(4 C_V e^a t/delta^2), a = C_V eps beta/(2 delta), "
                        "constants tracked through eq. 79-82 by dislo (models.md 5a); max over "
                        "signs"));
}

}  // namespace

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
  write_theorem_bound(comm, out, group, study, res, C_V, kappa);
  out.set_attribute(group + "/chaos", "C_V", C_V);
  out.set_attribute(group + "/chaos", "kappa_mean", kappa);
  out.set_attribute(group + "/chaos", "frames", std::int64_t(study.chaos.frames));
  out.set_attribute(group + "/chaos", "bound_formula",
                    std::string("2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2) "
                                "(Lemma 4.2)"));
  if (group == "/sde")
    out.set_attribute(group + "/chaos", "force_interpolation_error", interpolation_error);
  else {
    out.set_attribute(group + "/chaos", "thinning_max_n", std::int64_t(study.chaos.thinning_max_n));
    out.set_attribute(group + "/chaos", "time_change_max_n",
                      std::int64_t(study.chaos.time_change_max_n));
  }
}

}  // namespace dislo
