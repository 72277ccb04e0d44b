package io.herald.it.support;

import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.NodeStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.herald.client.HeraldClient;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.DeviceTokens;
import java.time.Clock;

/**
 * A real Herald node in its own JVM on a free loopback port, started from this classpath
 * with {@code -D} overrides, its output kept in a log file under target/. Used by the
 * end-to-end tests and the load tool.
 */
public final class NodeProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The JWT secret every test node verifies device tokens with. */
  public static final String JWT_SECRET = "it-tests-jwt-secret-of-at-least-32-bytes";
  /** An API key with every scope on every test node. */
  public static final String API_KEY = "it-tests-api-key";

  private static final AtomicLong DEVICE_IDS = new AtomicLong();

  /** The device edge a node runs unless a test chooses ({@code herald.edge}). */
  public static final String DEFAULT_EDGE = "netty";

  private final Process process;
  private final int port;
  private final int webSocketPort;
  private final int metricsPort;
  private final int managementPort;
  private final Path log;

  private NodeProcess(Process process, int port, int webSocketPort, int metricsPort, int managementPort, Path log) {
    this.process = process;
    this.port = port;
    this.webSocketPort = webSocketPort;
    this.metricsPort = metricsPort;
    this.managementPort = managementPort;
    this.log = log;
  }

  /**
   * Starts a member of a local cluster (profile {@code local-cluster}) whose cluster port is
   * {@code clusterPort}, joining through the node at {@code seedClusterPort} (itself for the
   * first node), and waits until it is an Up member that serves.
   */
  public static NodeProcess startClusterMember(String name, int clusterPort, int seedClusterPort,
      Map<String, String> settings, String... jvmOptions) {
    Map<String, String> clusterSettings = new java.util.HashMap<>(settings);
    clusterSettings.put("pekko.remote.artery.canonical.port", Integer.toString(clusterPort));
    clusterSettings.put("pekko.cluster.seed-nodes.0", "pekko://herald@127.0.0.1:" + seedClusterPort);
    NodeProcess node = start(name, freePort(), clusterSettings, Map.of("HERALD_PROFILE", "local-cluster"), jvmOptions);
    node.awaitReady(Duration.ofSeconds(60));
    return node;
  }

  /** Starts a node with these {@code herald.*} (or other) settings and waits until it serves. */
  public static NodeProcess start(String name, Map<String, String> settings, String... jvmOptions) {
    return start(name, freePort(), settings, jvmOptions);
  }

  /** Starts a node on a given port. */
  public static NodeProcess start(String name, int port, Map<String, String> settings, String... jvmOptions) {
    return start(name, port, settings, Map.of(), jvmOptions);
  }

  private static NodeProcess start(String name, int port, Map<String, String> settings,
      Map<String, String> environment, String... jvmOptions) {
    NodeProcess node = launch(name, port, settings, environment, jvmOptions);
    // Generous: a node that joins a running cluster shares two cores with three JVMs and their traffic.
    node.awaitServing(Duration.ofSeconds(60));
    return node;
  }

  /** Launches a node on a given port without waiting for it to serve: for a node that should fail to. */
  public static NodeProcess launch(String name, int port, Map<String, String> settings) {
    return launch(name, port, settings, Map.of());
  }

  private static NodeProcess launch(String name, int port, Map<String, String> settings,
      Map<String, String> environment, String... jvmOptions) {
    try {
      Path log = Files.createDirectories(Path.of("target", "node-logs")).resolve(name + "-" + port + ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx512m");
      command.addAll(List.of(jvmOptions));
      int metricsPort = freePort();
      int managementPort = freePort();
      int nettyPort = settings.containsKey("herald.netty.port")
          ? Integer.parseInt(settings.get("herald.netty.port"))
          : freePort();
      String edge = settings.getOrDefault("herald.edge", DEFAULT_EDGE);
      command.add("-Dherald.http.port=" + port);
      command.add("-Dherald.edge=" + edge);
      command.add("-Dherald.netty.port=" + nettyPort);
      command.add("-Dherald.metrics.port=" + metricsPort);
      command.add("-Dpekko.management.http.port=" + managementPort);
      command.add("-Dherald.node-id=" + name);
      command.add("-Dherald.auth.jwt.hs256-secret=" + JWT_SECRET);
      command.add("-Dherald.auth.api-key=" + API_KEY);
      settings.forEach((key, value) -> command.add("-D" + key + "=" + value));
      command.add("-cp");
      command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
      command.add("io.herald.node.Main");
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(environment);
      if (!settings.containsKey("pekko.remote.artery.canonical.port") && !environment.containsKey("HERALD_CLUSTER_PORT")) {
        // Left to pick any free port, the node's cluster port could take one handed out above
        // for its edge or metrics before those are bound.
        builder.environment().put("HERALD_CLUSTER_PORT", Integer.toString(freePort()));
      }
      Process process = builder
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      int webSocketPort = edge.equals("netty") ? nettyPort : port;
      return new NodeProcess(process, port, webSocketPort, metricsPort, managementPort, log);
    } catch (IOException e) {
      throw new IllegalStateException("could not start a node", e);
    }
  }

  public int port() {
    return port;
  }

  /** The Prometheus scrape endpoint. */
  public URI metricsUri() {
    return URI.create("http://127.0.0.1:" + metricsPort + "/metrics");
  }

  /** What Prometheus would scrape from the node now. */
  public String scrape() {
    return send(HttpRequest.newBuilder(metricsUri()), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The value of the first sample of a scrape whose name (and labels, a regex) match, or -1. */
  public static double sampleValue(String scrape, String sample) {
    java.util.regex.Matcher matcher =
        java.util.regex.Pattern.compile("(?m)^" + sample + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(scrape);
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
  }

  /** Pekko Management: /cluster/members, /ready, /alive. */
  public URI managementUri() {
    return URI.create("http://127.0.0.1:" + managementPort);
  }

  /** The HTTP status of a management GET, or -1 when the node does not answer. */
  public int managementStatus(String path) {
    try {
      return send(HttpRequest.newBuilder(managementUri().resolve(path)), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IllegalStateException unreachable) {
      return -1;
    }
  }

  /** The body of a management GET (JSON). */
  public String management(String path) {
    return send(HttpRequest.newBuilder(managementUri().resolve(path)), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Asks the node to leave the cluster through management (PUT /cluster/members/{address}). */
  public int leaveThroughManagement(int clusterPort) {
    String address = java.net.URLEncoder.encode("pekko://herald@127.0.0.1:" + clusterPort,
        java.nio.charset.StandardCharsets.UTF_8);
    return send(HttpRequest.newBuilder(managementUri().resolve("/cluster/members/" + address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .PUT(HttpRequest.BodyPublishers.ofString("operation=Leave")),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Sends a request with a 5 s deadline; an I/O failure becomes an IllegalStateException. */
  private static <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
    try {
      return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), body);
    } catch (IOException e) {
      throw new IllegalStateException("node unavailable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until management reports the node ready (an Up member whose edge serves). */
  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("node exited with " + process.exitValue() + ":\n" + log());
      }
      if (managementStatus("/ready") == 200) {
        return;
      }
      pause();
    }
    throw new IllegalStateException("node not ready within " + timeout + ":\n" + log());
  }

  public URI httpUri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The WebSocket address, without credentials. */
  public URI webSocketUri() {
    return URI.create("ws://127.0.0.1:" + webSocketPort + "/v1/ws");
  }

  /** The WebSocket address with a token for a new device that may use every non-system topic. */
  public URI deviceUri() {
    return deviceUri("device-" + DEVICE_IDS.incrementAndGet());
  }

  /** The WebSocket address with a token for this device. */
  public URI deviceUri(String deviceId) {
    return URI.create(webSocketUri() + "?token=" + token(deviceId));
  }

  /** A valid token for a device that may use every non-system topic. */
  public static String token(String deviceId) {
    return token(new DeviceIdentity(deviceId, List.of(), Optional.empty(), Optional.empty()));
  }

  /** A valid token for this identity. */
  public static String token(DeviceIdentity identity) {
    return DeviceTokens.mintHs256(JWT_SECRET, identity, Duration.ofHours(1), Clock.systemUTC());
  }

  /** A backend client with every scope. */
  public HeraldClient heraldClient() {
    return HeraldClient.create(HeraldClient.Options.builder().baseUri(httpUri()).apiKey(API_KEY).build());
  }

  public Process process() {
    return process;
  }

  /** The node's own account of what it holds and has counted. */
  public NodeStatus status() {
    return readProtobuf("/v1/node", NodeStatus.parser());
  }

  /** Every member of the cluster as this node sees it, with the numbers each gave of itself. */
  public ClusterStatus clusterStatus() {
    return readProtobuf("/v1/cluster", ClusterStatus.parser());
  }

  private <T> T readProtobuf(String path, com.google.protobuf.Parser<T> parser) {
    HttpResponse<byte[]> response = send(
        HttpRequest.newBuilder(httpUri().resolve(path)).header("Accept", "application/x-protobuf"),
        HttpResponse.BodyHandlers.ofByteArray());
    try {
      return parser.parseFrom(response.body());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(path + " unreadable", e);
    }
  }

  /** A counter of the node's status, 0 when not counted yet. */
  public long counter(String name) {
    return status().getCountersOrDefault(name, 0);
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  public void kill() {
    process.destroyForcibly();
  }

  /** Sends SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  /** Waits for the process to exit; returns its exit code, or -1 if it is still running. */
  public int awaitExit(Duration deadline) throws InterruptedException {
    return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** Where the node's output goes. */
  public Path logPath() {
    return log;
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void awaitServing(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("node exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        status();
        return;
      } catch (RuntimeException notYet) {
        pause();
      }
    }
    close();
    throw new IllegalStateException("node did not serve within " + timeout + ":\n" + log());
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The process id, for measuring its memory and CPU. */
  public long pid() {
    return process.pid();
  }

  /** Ports handed out by this JVM: the OS may offer a just-closed port again. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A loopback port no one listens on right now, and never handed out before by this JVM. */
  public static int freePort() {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
