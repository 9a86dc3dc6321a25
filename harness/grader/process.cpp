// Child processes with timeouts and memory limits (process.hpp).
#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "config.hpp"

namespace aisys::grader {

std::string RunResult::describe(double timeout_s) const {
  if (!started) return "could not be started";
  if (timed_out) {
    std::ostringstream s;
    s << "timed out after " << timeout_s << " s (a hang or an infinite loop?)";
    return s.str();
  }
  if (signal != 0) {
    std::string name = "signal " + std::to_string(signal);
    if (signal == SIGSEGV) name = "SIGSEGV (segmentation fault: an out-of-bounds access?)";
    else if (signal == SIGABRT) name = "SIGABRT (abort: an assertion or an uncaught error, or out of memory)";
    else if (signal == SIGFPE) name = "SIGFPE (arithmetic error)";
    else if (signal == SIGILL) name = "SIGILL (illegal instruction: an instruction set this CPU lacks?)";
    else if (signal == SIGBUS) name = "SIGBUS (bus error)";
    else if (signal == SIGKILL) name = "SIGKILL (killed: out of memory?)";
    return "crashed: killed by " + name;
  }
  return "exit code " + std::to_string(exit_code);
}

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult result;
  const auto start = std::chrono::steady_clock::now();
  int out_fd = -1;
  if (!options.output_file.empty()) {
    out_fd = ::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    bool drop = options.env.count(key) > 0;
    for (const auto& u : options.unset_env) drop = drop || u == key;
    if (!drop) env_storage.push_back(kv);
  }
  for (const auto& [k, v] : options.env) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (options.memory_mb > 0) {
      struct rlimit lim;
      lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(options.memory_mb) << 20;
      ::setrlimit(RLIMIT_AS, &lim);
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) _exit(127);
    ::execvpe(cargv[0], cargv.data(), envp.data());
    std::fprintf(stderr, "aisys: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  if (pid < 0) {
    result.started = false;
    if (out_fd >= 0) ::close(out_fd);
    return result;
  }
  ::setpgid(pid, pid);
  int status = 0;
  bool done = false;
  while (!done) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      done = true;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.timeout_s > 0 && elapsed > options.timeout_s) {
      result.timed_out = true;
      ::kill(-pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(elapsed < 1.0 ? 2 : 20));
  }
  // Whatever the child left behind in its group (threads of a crashed OpenMP runtime, grandchildren).
  ::kill(-pid, SIGKILL);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.timed_out) {
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
      if (result.exit_code == 127) {
        // exec failure is reported by the child on its output; keep the code.
      }
    } else if (WIFSIGNALED(status)) {
      result.signal = WTERMSIG(status);
    }
  }
  if (out_fd >= 0) {
    ::close(out_fd);
    std::ifstream in(options.output_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    result.output = ss.str();
    constexpr std::size_t kMax = 1 << 20;
    if (result.output.size() > kMax) result.output = "...(truncated)...\n" + result.output.substr(result.output.size() - kMax);
    if (options.echo) {
      std::fwrite(result.output.data(), 1, result.output.size(), stdout);
      std::fflush(stdout);
    }
  }
  return result;
}

RunResult run_capture(const std::vector<std::string>& argv, double timeout_s) {
  char tmpl[] = "/tmp/aisys-capture-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  RunOptions o;
  o.timeout_s = timeout_s;
  o.output_file = tmpl;
  RunResult r = run_process(argv, o);
  std::remove(tmpl);
  return r;
}

std::map<std::string, std::string> mpi_environment() {
  return {{"OMPI_MCA_rmaps_base_oversubscribe", "1"},
          {"OMPI_ALLOW_RUN_AS_ROOT", "1"},
          {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"},
          {"OMPI_MCA_btl_vader_single_copy_mechanism", "none"},
          {"OMPI_MCA_btl", "self,vader,tcp"},
          {"OMPI_MCA_odls_base_sigkill_timeout", "0"},
          {"OPENBLAS_NUM_THREADS", "1"},
          {"OMP_NUM_THREADS", "1"}};
}

std::vector<std::string> mpiexec_for_benchmark(int np) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return {config::kMpiexec, "-n", std::to_string(np), "--bind-to",
          static_cast<unsigned>(np) <= cores ? "core" : "none"};
}

}  // namespace aisys::grader
