package io.herald.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a process on this machine uses: heap after a forced GC (via jcmd), RSS and CPU time (via /proc). */
final class ProcessStats {

  private static final double CLOCK_TICKS_PER_SECOND = 100;

  private ProcessStats() {}

  /** Heap in use right after a full GC, in bytes. */
  static long heapAfterGc(long pid) throws IOException, InterruptedException {
    new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
    Process info = new ProcessBuilder("jcmd", Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String out = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    int used = out.indexOf("used ");
    return Long.parseLong(out.substring(used + 5, out.indexOf('K', used)).trim()) * 1024;
  }

  static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /** User plus system CPU time the process has used so far, in seconds. */
  static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  /** The slope of y over x by least squares. */
  static double slope(double[] x, double[] y) {
    double meanX = 0;
    double meanY = 0;
    for (int i = 0; i < x.length; i++) {
      meanX += x[i] / x.length;
      meanY += y[i] / x.length;
    }
    double covariance = 0;
    double variance = 0;
    for (int i = 0; i < x.length; i++) {
      covariance += (x[i] - meanX) * (y[i] - meanY);
      variance += (x[i] - meanX) * (x[i] - meanX);
    }
    return covariance / variance;
  }
}
