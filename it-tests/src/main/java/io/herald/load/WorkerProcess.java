package io.herald.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The coordinator's handle on one {@link LoadWorker} process. */
final class WorkerProcess implements AutoCloseable {

  private final Process process;
  private final PrintWriter commands;
  private final BufferedReader replies;

  WorkerProcess(String target, String sourceAddress, String devicePrefix, int topics, int groups) throws IOException {
    // Parallel GC: under G1, refining the cards that each received message dirties took 15%
    // of a worker's CPU, which the node on the same cores then did not get.
    this.process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx768m", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), LoadWorker.class.getName(),
        target, sourceAddress, devicePrefix, Integer.toString(topics), Integer.toString(groups))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  long pid() {
    return process.pid();
  }

  /** Sends a command and reads its one-line answer as key=value pairs. */
  Map<String, String> ask(String command) throws IOException {
    commands.println(command);
    String line = replies.readLine();
    if (line == null) {
      throw new IOException("worker " + process.pid() + " ended");
    }
    Map<String, String> values = new HashMap<>();
    for (String pair : line.split(" ")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        values.put(pair.substring(0, equals), pair.substring(equals + 1));
      }
    }
    return values;
  }

  @Override
  public void close() {
    commands.println("exit");
    process.destroy();
  }
}
