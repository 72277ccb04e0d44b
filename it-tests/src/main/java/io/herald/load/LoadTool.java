package io.herald.load;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldClient;
import io.herald.it.support.NodeProcess;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Herald's load tool. Starts a node, drives it with real WebSocket devices from worker
 * processes on loopback (each under the open-file limit, each on its own 127.0.0.x source
 * address) and with the real SDK, stops by itself, and prints a table and writes JSON.
 *
 * <pre>
 * herald-load connections [--connections 18000] [--steps 6] [--workers 2] [--node-heap 2g] [--hold 0] [--groups 0]
 * herald-load fanout [--subscribers 10000] [--rate 10] [--payload 64] [--duration 30] [--warmup 60] [--workers 2]
 * herald-load topics [--topics 1000] [--subscribers 5000] [--rate 1000] (and fanout's other options)
 * herald-load cluster [--nodes 3] [--subscribers 9000] [--rate 10] [--topics 1] (and fanout's other options)
 * herald-load state [--devices 10000] [--rate 5000] [--groups 10] [--duration 30] [--warmup 60] [--answers 1] [--workers 2]
 *                   [--resident 0]
 * herald-load resume [--subscribers 10000] [--topics 100] [--rate 100] [--payload 64] [--warmup 30] [--away-millis 2000]
 *                    [--after 10] [--workers 2] [--drain 0 | --crash 0]
 * herald-load sdk [--devices 100] [--topics 10] [--rate 500] [--payload 64] [--duration 30] [--warmup 60]
 *                 [--handler-threads 0]
 * </pre>
 *
 * <p>Every scenario also takes {@code --nodes N} (a local cluster of N nodes, each worker's
 * devices on one of them, publishes through each in turn; 1 unless told, 3 for {@code cluster}),
 * {@code --edge netty|pekko-http} (the nodes' device edge, Netty unless told),
 * {@code --set key=value[,key=value]} (any other node setting), {@code --node-jvm "OPTIONS"}
 * (extra JVM options for the nodes, such as a profiler) and {@code --max-seconds} (default
 * 1800): the run ends there whatever happens. Scenarios with a publisher warm up for at
 * least {@code --warmup} seconds and then until it has caught up, at most
 * {@code --max-warmup} seconds (see {@link #warmUp}).
 */
public final class LoadTool {

  /**
   * Seconds of load before measuring, unless told. With 10 s the JIT compiler was still
   * taking a fifth of the node's CPU in the measured window (perf, 10,000 subscribers at
   * 100,000 deliveries a second); after 60 s it takes about 1%.
   */
  private static final int STEADY_WARMUP_SECONDS = 60;

  private final Map<String, String> options;
  private final Map<String, Object> results = new LinkedHashMap<>();
  /** Each started node's cluster port, to ask it to leave. */
  private final Map<NodeProcess, Integer> clusterPorts = new HashMap<>();

  private LoadTool(Map<String, String> options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !List.of("connections", "fanout", "topics", "cluster", "state", "resume", "sdk")
        .contains(args[0])) {
      System.err.println("usage: herald-load connections|fanout|topics|cluster|state|resume|sdk [--option value]..."
          + " (see BENCHMARKS.md)");
      System.exit(2);
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    // Every run stops by itself: whatever hangs, the whole tool ends at this deadline.
    int maxSeconds = Integer.parseInt(options.getOrDefault("max-seconds", "1800"));
    Thread deadline = new Thread(() -> {
      try {
        Thread.sleep(maxSeconds * 1000L);
        System.err.println("run exceeded --max-seconds " + maxSeconds + "; stopping");
        System.exit(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "herald-load-deadline");
    deadline.setDaemon(true);
    deadline.start();
    LoadTool tool = new LoadTool(options);
    tool.results.put("scenario", args[0]);
    tool.results.put("options", new LinkedHashMap<>(options));
    switch (args[0]) {
      case "connections" -> tool.connections();
      case "fanout" -> tool.fanout(1, 10_000, 10);
      case "topics" -> tool.fanout(1_000, 5_000, 1_000);
      case "cluster" -> {
        options.putIfAbsent("nodes", "3");
        tool.fanout(1, 9_000, 10);
      }
      case "resume" -> tool.resume();
      case "sdk" -> tool.sdk();
      default -> tool.state();
    }
    tool.write(args[0]);
    System.exit(0);
  }

  /** Ramps idle connections in steps; at each plateau, the node's heap after GC and its RSS. */
  private void connections() throws Exception {
    int total = intOption("connections", 18_000);
    int steps = intOption("steps", 6);
    List<NodeProcess> nodes = startNodes(total);
    try {
      int workers = intOption("workers", Math.max(2, nodes.size()));
      List<WorkerProcess> swarm = startWorkers(nodes, workers, 0, intOption("groups", 0));
      List<double[]> rows = new ArrayList<>();
      rows.add(new double[] {0, heapAfterGc(nodes), rssBytes(nodes)});
      // Node CPU while devices connect, without the forced GCs of the measurements.
      double acceptCpu = 0;
      long connected = 0;
      System.out.printf("%12s %14s %14s%n", "connections", "heap_after_gc", "rss");
      for (int step = 1; step <= steps; step++) {
        connected = 0;
        double cpuBefore = nodeCpuSeconds(nodes);
        for (WorkerProcess worker : swarm) {
          connected += Long.parseLong(worker.ask("open " + total / steps / workers).get("connected"));
        }
        acceptCpu += nodeCpuSeconds(nodes) - cpuBefore;
        Thread.sleep(2_000);
        double[] row = {connected, heapAfterGc(nodes), rssBytes(nodes)};
        rows.add(row);
        System.out.printf("%12d %12.1f MB %12.1f MB%n", (long) row[0], row[1] / 1e6, row[2] / 1e6);
      }
      double[] x = rows.stream().mapToDouble(r -> r[0]).toArray();
      double heapPerConnection = ProcessStats.slope(x, rows.stream().mapToDouble(r -> r[1]).toArray());
      double rssPerConnection = ProcessStats.slope(x, rows.stream().mapToDouble(r -> r[2]).toArray());
      double acceptCpuMicros = connected == 0 ? 0 : acceptCpu * 1e6 / connected;
      System.out.printf("heap per connection (slope): %.1f KB, RSS per connection (slope): %.1f KB,"
          + " node CPU per accepted connection: %.0f us%n", heapPerConnection / 1024, rssPerConnection / 1024,
          acceptCpuMicros);
      results.put("nodes", nodes.size());
      results.put("connected", connected);
      results.put("plateaus", rows.stream().map(r -> Map.of("connections", (long) r[0], "heapBytes", (long) r[1],
          "rssBytes", (long) r[2])).toList());
      results.put("heapBytesPerConnection", Math.round(heapPerConnection));
      results.put("rssBytesPerConnection", Math.round(rssPerConnection));
      results.put("nodeCpuMicrosPerAcceptedConnection", Math.round(acceptCpuMicros));
      int hold = intOption("hold", 0);
      if (hold > 0) {
        System.out.printf("holding %d connections for %d s: node pids %s%n", connected, hold,
            nodes.stream().map(NodeProcess::pid).toList());
        Thread.sleep(hold * 1000L);
      }
      swarm.forEach(WorkerProcess::close);
    } finally {
      nodes.forEach(NodeProcess::close);
    }
  }

  /**
   * S subscribers dealt round T topics, a publisher at a fixed total rate (open model) spread
   * over the topics and over every node: throughput and latency. {@code fanout} is one topic
   * on one node, {@code topics} many topics, {@code cluster} one topic over three nodes.
   */
  private void fanout(int defaultTopics, int defaultSubscribers, int defaultRate) throws Exception {
    int topics = intOption("topics", defaultTopics);
    int subscribers = intOption("subscribers", defaultSubscribers);
    int rate = intOption("rate", defaultRate);
    int payloadBytes = Math.max(8, intOption("payload", 64));
    int duration = intOption("duration", 30);
    int warmup = intOption("warmup", STEADY_WARMUP_SECONDS);
    List<NodeProcess> nodes = startNodes(subscribers);
    try {
      int workers = intOption("workers", Math.max(2, nodes.size()));
      List<WorkerProcess> swarm = startWorkers(nodes, workers, topics, 0);
      long subscribed = openSubscribers(swarm, subscribers);
      long[] subscribersOf = subscribersPerTopic(topics, workers, subscribers / workers);
      System.out.printf("%d subscribers on %d topic(s) over %d node(s); publishing %d/s of %d bytes for %d s"
          + " after at least %d s of warm-up%n", subscribed, topics, nodes.size(), rate, payloadBytes, duration, warmup);
      // Publishes intended from measureFromMicros on are measured, wherever their answers fall.
      AtomicLong measureFromMicros = new AtomicLong(Long.MAX_VALUE);
      AtomicLong measuredPublishes = new AtomicLong();
      AtomicLong expected = new AtomicLong();
      // From a publish's intended send time until its answer: tells a late answer from a late delivery.
      ConcurrentHistogram answered = new ConcurrentHistogram(3_600_000_000L, 3);
      Publisher publisher = new Publisher(clientsOf(nodes), topics, rate, payloadBytes);
      CompletableFuture<Void> published = publisher.start((topic, intendedMicros) -> {
        if (intendedMicros >= measureFromMicros.get()) {
          measuredPublishes.incrementAndGet();
          expected.addAndGet(subscribersOf[topic]);
          answered.recordValue(Math.max(0, Micros.now() - intendedMicros));
        }
      });
      WarmUp warmedUp = warmUp(publisher, warmup, rate);
      // Workers count from measureFromMicros on; reset before it, so nothing measured arrives first.
      long measureFrom = System.nanoTime() + Duration.ofMillis(500).toNanos();
      measureFromMicros.set(Micros.now() + 500_000);
      for (WorkerProcess worker : swarm) {
        worker.ask("reset " + measureFromMicros.get());
      }
      publisher.endAt(measureFrom + Duration.ofSeconds(duration).toNanos());
      sleepUntil(measureFrom);
      publisher.resetBehind();
      double nodeCpuAtReset = nodeCpuSeconds(nodes);
      double toolCpuAtReset = toolCpuSeconds(swarm);
      published.join();
      double nodeCpu = nodeCpuSeconds(nodes) - nodeCpuAtReset;
      double toolCpu = toolCpuSeconds(swarm) - toolCpuAtReset;
      Thread.sleep(3_000); // let the last messages arrive
      long received = 0;
      Histogram latency = new Histogram(3_600_000_000L, 3);
      Map<String, Long> sequences = new LinkedHashMap<>();
      for (WorkerProcess worker : swarm) {
        Map<String, String> report = worker.ask("report");
        received += Long.parseLong(report.get("received"));
        latency.add(decoded(report.get("histogram")));
        addSequences(worker, sequences);
      }
      Map<String, Object> fanout = new LinkedHashMap<>();
      fanout.put("nodes", nodes.size());
      fanout.put("topics", topics);
      fanout.put("subscribers", subscribed);
      fanout.putAll(warmedUp.asMap());
      fanout.put("publishesMeasured", measuredPublishes.get());
      fanout.put("publishFailures", publisher.failures());
      fanout.put("deliveredPerSecond", Math.round(received / (double) duration));
      fanout.put("received", received);
      fanout.put("missing", Math.max(0, expected.get() - received));
      fanout.put("skipped", sequences.get("skipped"));
      fanout.put("repeated", sequences.get("repeated"));
      fanout.put("latencyMillis", millis(latency));
      fanout.put("publishAnsweredMillis", millis(answered));
      Histogram behind = publisher.behind();
      fanout.put("publisherBehindMillis", millis(behind));
      fanout.put("nodeCpuPercent", Math.round(100 * nodeCpu / duration));
      fanout.put("toolCpuPercent", Math.round(100 * toolCpu / duration));
      fanout.put("nodeCounters", nodes.stream().map(node -> node.status().getCountersMap()).toList());
      // What the nodes hold once the traffic is over: kept for resumes, and the heap after a full GC.
      long keptForResumes = nodes.stream().mapToLong(node -> node.status().getTopicHistoryBytes()).sum();
      long heapAfterGc = Math.round(heapAfterGc(nodes));
      fanout.put("topicHistoryBytes", keptForResumes);
      fanout.put("heapBytesAfterGc", heapAfterGc);
      results.put("fanout", fanout);
      System.out.printf("delivered/s %d | latency ms p50 %.1f p99 %.1f p99.9 %.1f max %.1f | missing %d of %d"
              + " | skipped %d repeated %d | CPU nodes %d%% tool %d%% (of one core)%n",
          fanout.get("deliveredPerSecond"), latency.getValueAtPercentile(50) / 1000.0,
          latency.getValueAtPercentile(99) / 1000.0, latency.getValueAtPercentile(99.9) / 1000.0,
          latency.getMaxValue() / 1000.0, fanout.get("missing"), expected.get(), sequences.get("skipped"),
          sequences.get("repeated"), fanout.get("nodeCpuPercent"),
          fanout.get("toolCpuPercent"));
      System.out.printf("publishes answered ms p50 %.1f p99 %.1f max %.1f | publisher behind ms p99 %.1f max %.1f%n",
          answered.getValueAtPercentile(50) / 1000.0, answered.getValueAtPercentile(99) / 1000.0,
          answered.getMaxValue() / 1000.0, behind.getValueAtPercentile(99) / 1000.0, behind.getMaxValue() / 1000.0);
      System.out.printf("after: kept for resumes %.1f MB, heap after GC %.1f MB%n", keptForResumes / 1e6,
          heapAfterGc / 1e6);
      swarm.forEach(WorkerProcess::close);
    } finally {
      nodes.forEach(NodeProcess::close);
    }
  }

  /**
   * S subscribers on T topics while a publisher keeps a fixed rate; after the warm-up every
   * device drops its connection at once, stays away for a while and rejoins (to the next node
   * in a cluster), resuming its topic where it left off: how long the storm takes, how many
   * resumes missed nothing, and whether every device's sequences carry on with nothing
   * missing and nothing twice. Or one node leaves ({@code --drain}) or is killed
   * ({@code --crash}), and only its devices rejoin.
   */
  private void resume() throws Exception {
    int topics = intOption("topics", 100);
    int subscribers = intOption("subscribers", 10_000);
    // 1 message a second per topic: each publish through the API costs the node 1-2 ms of CPU.
    int rate = intOption("rate", 100);
    int payloadBytes = intOption("payload", 64);
    int warmup = intOption("warmup", 30);
    int awayMillis = intOption("away-millis", 2_000);
    int after = intOption("after", 10);
    // 0: every device drops its connection. N: node N (from 1) leaves the cluster, or is
    // killed, instead.
    int drain = intOption("drain", 0);
    int crash = intOption("crash", 0);
    int gone = Math.max(drain, crash);
    if (drain != 0 && crash != 0) {
      throw new IllegalArgumentException("--drain or --crash, not both");
    }
    // A leaving node's devices all come to one node, which then holds two shares.
    List<NodeProcess> nodes = startNodes(gone > 0 ? 2 * subscribers : subscribers);
    if (gone < 0 || gone > nodes.size() || (gone > 0 && nodes.size() < 2)) {
      throw new IllegalArgumentException("--drain N or --crash N needs --nodes of at least 2, N one of them");
    }
    NodeProcess leaving = gone > 0 ? nodes.get(gone - 1) : null;
    List<NodeProcess> staying = nodes.stream().filter(node -> node != leaving).toList();
    try {
      int workers = intOption("workers", Math.max(2, nodes.size()));
      List<WorkerProcess> swarm = startWorkers(nodes, workers, topics, 0);
      // Worker k's devices are on node k mod nodes; those of a leaving node move, the others stay.
      List<WorkerProcess> moving = swarm.stream()
          .filter(worker -> leaving == null || nodes.get(swarm.indexOf(worker) % nodes.size()) == leaving).toList();
      long subscribed = openSubscribers(swarm, subscribers);
      System.out.printf("%d subscribers on %d topic(s) over %d node(s); publishing %d/s of %d bytes; after at least %d s %s%n",
          subscribed, topics, nodes.size(), rate, payloadBytes, warmup, leaving == null
              ? "every device drops its connection and rejoins " + awayMillis + " ms later"
                  + (nodes.size() > 1 ? " on the next node" : "")
              : crash > 0
                  ? "node " + crash + " is killed and its devices rejoin on the next node at once"
                  : "node " + drain + " leaves the cluster and its devices rejoin on the next node once it has closed them");
      Publisher publisher = new Publisher(clientsOf(staying), topics, rate, payloadBytes);
      CompletableFuture<Void> published = publisher.start((topic, intendedMicros) -> { });
      WarmUp warmedUp = warmUp(publisher, warmup, rate);
      if (leaving == null) {
        askAll(swarm, worker -> "drop");
        Thread.sleep(awayMillis);
      } else if (crash > 0) {
        if (!leaving.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("node " + crash + " outlived SIGKILL for 30 s");
        }
      } else {
        drainAway(leaving);
      }
      // Latency from here on: of messages published once a device had started to rejoin.
      long rejoinMicros = Micros.now();
      askAll(swarm, worker -> "reset " + rejoinMicros);
      double nodeCpuBefore = nodeCpuSeconds(staying);
      double toolCpuBefore = toolCpuSeconds(swarm);
      List<Map<String, String>> rejoins = askAll(moving, worker -> "rejoin "
          + nodes.get((swarm.indexOf(worker) + 1) % nodes.size()).webSocketUri());
      double nodeCpu = nodeCpuSeconds(staying) - nodeCpuBefore;
      double toolCpu = toolCpuSeconds(swarm) - toolCpuBefore;
      Thread.sleep(after * 1000L);
      publisher.endAt(System.nanoTime());
      published.join();
      Thread.sleep(3_000); // let the last messages arrive
      long stormMicros = 0;
      long resumed = 0;
      long notResumed = 0;
      long connected = 0;
      long refused = 0;
      Histogram resubscribe = new Histogram(3_600_000_000L, 3);
      for (Map<String, String> rejoin : rejoins) {
        stormMicros = Math.max(stormMicros, Long.parseLong(rejoin.get("stormMicros")));
        resumed += Long.parseLong(rejoin.get("resumed"));
        notResumed += Long.parseLong(rejoin.get("notResumed"));
        connected += Long.parseLong(rejoin.get("connected"));
        refused += Long.parseLong(rejoin.get("refused"));
        resubscribe.add(decoded(rejoin.get("histogram")));
      }
      Map<String, Long> sequences = new LinkedHashMap<>();
      Histogram latency = new Histogram(3_600_000_000L, 3);
      for (WorkerProcess worker : swarm) {
        addSequences(worker, sequences);
        latency.add(decoded(worker.ask("report").get("histogram")));
      }
      double stormSeconds = stormMicros / 1e6;
      Map<String, Object> resume = new LinkedHashMap<>();
      resume.put("nodes", nodes.size());
      resume.put("drainedNode", drain);
      resume.put("crashedNode", crash);
      resume.put("topics", topics);
      resume.put("subscribers", subscribed);
      resume.put("rate", rate);
      resume.put("awayMillis", leaving == null ? awayMillis : 0);
      resume.putAll(warmedUp.asMap());
      resume.put("stormMillis", stormMicros / 1000.0);
      resume.put("rejoinedPerSecond", Math.round(connected / stormSeconds));
      resume.put("connections", connected);
      resume.put("refusedAndRetried", refused);
      resume.put("resumed", resumed);
      resume.put("notResumed", notResumed);
      resume.put("resubscribeMillis", millis(resubscribe));
      resume.putAll(sequences);
      resume.put("latencyMillis", millis(latency));
      resume.put("publishFailures", publisher.failures());
      resume.put("nodeCpuPercentDuringStorm", Math.round(100 * nodeCpu / stormSeconds));
      resume.put("toolCpuPercentDuringStorm", Math.round(100 * toolCpu / stormSeconds));
      resume.put("nodeCounters", staying.stream().map(node -> node.status().getCountersMap()).toList());
      results.put("resume", resume);
      System.out.printf("rejoined %d in %.0f ms (%d/s), %d attempts refused and retried | resumed %d, not %d"
              + " | subscribe to subscribed ms p50 %.1f p99 %.1f max %.1f | recovered %d, unrecovered %d"
              + " | skipped %d repeated %d | latency ms p50 %.1f p99 %.1f max %.1f"
              + " | CPU during the storm nodes %d%% tool %d%% (of one core)%n",
          connected, stormMicros / 1000.0, resume.get("rejoinedPerSecond"), refused, resumed, notResumed,
          resubscribe.getValueAtPercentile(50) / 1000.0, resubscribe.getValueAtPercentile(99) / 1000.0,
          resubscribe.getMaxValue() / 1000.0, sequences.get("recovered"),
          sequences.get("unrecovered"), sequences.get("skipped"), sequences.get("repeated"),
          latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
          latency.getMaxValue() / 1000.0, resume.get("nodeCpuPercentDuringStorm"),
          resume.get("toolCpuPercentDuringStorm"));
      swarm.forEach(WorkerProcess::close);
    } finally {
      nodes.forEach(NodeProcess::close);
    }
  }

  /**
   * D devices on the SDK's own {@link DeviceClient}, in this process, subscribed round T
   * topics while a publisher keeps a fixed rate: what a device application built on the SDK
   * receives and how late (from the intended send time, in its handler), and the threads the
   * SDK needs for it. The other scenarios' devices are the workers' lean event-loop client;
   * {@code topics} with the same shape shows the difference. With {@code --handler-threads N}
   * the devices share one fixed pool of N threads for their handlers, as a gateway would
   * ({@link DeviceClient.Options.Builder#handlerExecutor}); 0, the default, leaves them on the
   * SDK's own handler threads.
   */
  private void sdk() throws Exception {
    int devices = intOption("devices", 100);
    // All in this one process, under its open-file limit (20,000 here) beside the nodes' clients.
    if (devices < 1 || devices > 10_000) {
      throw new IllegalArgumentException("--devices must be 1 to 10,000: they share the tool's process");
    }
    int topics = intOption("topics", 10);
    int rate = intOption("rate", 500);
    int payloadBytes = Math.max(8, intOption("payload", 64));
    int duration = intOption("duration", 30);
    int warmup = intOption("warmup", STEADY_WARMUP_SECONDS);
    int handlerThreads = intOption("handler-threads", 0);
    ExecutorService handlerPool = handlerThreads > 0 ? Executors.newFixedThreadPool(handlerThreads, runnable -> {
      Thread thread = new Thread(runnable, "gateway-handler");
      thread.setDaemon(true);
      return thread;
    }) : null;
    List<NodeProcess> nodes = startNodes(devices);
    List<DeviceClient> clients = new ArrayList<>();
    try {
      AtomicLong measureFromMicros = new AtomicLong(Long.MAX_VALUE);
      ConcurrentHistogram latency = new ConcurrentHistogram(3_600_000_000L, 3);
      LongAdder received = new LongAdder();
      LongAdder skipped = new LongAdder();
      LongAdder repeated = new LongAdder();
      long[] subscribersOf = new long[topics];
      int threadsBefore = liveThreads();
      for (int i = 0; i < devices; i++) {
        int topic = i % topics;
        subscribersOf[topic]++;
        DeviceClient.Options.Builder options = DeviceClient.Options.builder()
            .uri(nodes.get(i % nodes.size()).webSocketUri())
            .token(NodeProcess.token("sdk-device-" + i));
        if (handlerPool != null) {
          options.handlerExecutor(handlerPool);
        }
        DeviceClient client = DeviceClient.connect(options.build()).get(30, TimeUnit.SECONDS);
        clients.add(client);
        // Handlers of one client run one at a time, each seeing the one before.
        AtomicLong lastSequence = new AtomicLong();
        client.subscribe(DeviceSwarm.topicOf(topic, topics), message -> {
          long sequence = message.sequence();
          long last = lastSequence.getAndSet(sequence);
          if (last != 0 && sequence > last + 1) {
            skipped.add(sequence - last - 1);
          } else if (last != 0 && sequence <= last) {
            repeated.increment();
          }
          long intendedMicros = ByteBuffer.wrap(message.payload()).getLong();
          if (intendedMicros >= measureFromMicros.get()) {
            latency.recordValue(Math.max(0, Micros.now() - intendedMicros));
            received.increment();
          }
        }).get(30, TimeUnit.SECONDS);
      }
      int threadsConnected = liveThreads();
      System.out.printf("%d SDK devices on %d topic(s) over %d node(s); publishing %d/s of %d bytes for %d s"
          + " after at least %d s of warm-up%n", devices, topics, nodes.size(), rate, payloadBytes, duration, warmup);
      AtomicLong expected = new AtomicLong();
      Publisher publisher = new Publisher(clientsOf(nodes), topics, rate, payloadBytes);
      CompletableFuture<Void> published = publisher.start((topic, intendedMicros) -> {
        if (intendedMicros >= measureFromMicros.get()) {
          expected.addAndGet(subscribersOf[topic]);
        }
      });
      WarmUp warmedUp = warmUp(publisher, warmup, rate);
      long measureFrom = System.nanoTime() + Duration.ofMillis(500).toNanos();
      measureFromMicros.set(Micros.now() + 500_000);
      publisher.endAt(measureFrom + Duration.ofSeconds(duration).toNanos());
      sleepUntil(measureFrom);
      double nodeCpuAtReset = nodeCpuSeconds(nodes);
      double toolCpuAtReset = toolCpuSeconds(List.of());
      ManagementFactory.getThreadMXBean().resetPeakThreadCount();
      published.join();
      double nodeCpu = nodeCpuSeconds(nodes) - nodeCpuAtReset;
      double toolCpu = toolCpuSeconds(List.of()) - toolCpuAtReset;
      int threadsDelivering = liveThreads();
      int threadsAtMost = ManagementFactory.getThreadMXBean().getPeakThreadCount();
      Thread.sleep(3_000); // let the last messages arrive
      Histogram delivered = latency.copy();
      Map<String, Object> sdk = new LinkedHashMap<>();
      sdk.put("nodes", nodes.size());
      sdk.put("topics", topics);
      sdk.put("devices", devices);
      sdk.put("handlerThreads", handlerThreads);
      sdk.putAll(warmedUp.asMap());
      sdk.put("publishFailures", publisher.failures());
      sdk.put("deliveredPerSecond", Math.round(received.sum() / (double) duration));
      sdk.put("received", received.sum());
      sdk.put("missing", Math.max(0, expected.get() - received.sum()));
      sdk.put("skipped", skipped.sum());
      sdk.put("repeated", repeated.sum());
      sdk.put("latencyMillis", millis(delivered));
      // The tool's threads before the devices, with them connected, as the measurement ended and
      // the most at once while measuring (the publisher and its SDK client's senders included).
      sdk.put("threads", Map.of("before", threadsBefore, "connected", threadsConnected,
          "delivering", threadsDelivering, "atMost", threadsAtMost));
      sdk.put("nodeCpuPercent", Math.round(100 * nodeCpu / duration));
      sdk.put("toolCpuPercent", Math.round(100 * toolCpu / duration));
      results.put("sdk", sdk);
      System.out.printf("delivered/s %d | latency ms p50 %.1f p99 %.1f p99.9 %.1f max %.1f | missing %d of %d"
              + " | skipped %d repeated %d | threads %d, %d with the devices, %d delivering (at most %d)"
              + " | CPU nodes %d%% tool %d%% (of one core)%n",
          sdk.get("deliveredPerSecond"), delivered.getValueAtPercentile(50) / 1000.0,
          delivered.getValueAtPercentile(99) / 1000.0, delivered.getValueAtPercentile(99.9) / 1000.0,
          delivered.getMaxValue() / 1000.0, sdk.get("missing"), expected.get(), skipped.sum(), repeated.sum(),
          threadsBefore, threadsConnected, threadsDelivering, threadsAtMost, sdk.get("nodeCpuPercent"),
          sdk.get("toolCpuPercent"));
    } finally {
      clients.forEach(DeviceClient::close);
      nodes.forEach(NodeProcess::close);
      if (handlerPool != null) {
        handlerPool.shutdown();
      }
    }
  }

  /**
   * Asks {@code node} to leave the cluster through management and returns once it has
   * closed its last device's connection: it hands its shards on meanwhile, and goes on doing
   * so while its devices come back elsewhere, as a fleet's would after their reconnect delay.
   */
  private void drainAway(NodeProcess node) throws InterruptedException {
    int status = node.leaveThroughManagement(clusterPorts.get(node));
    if (status / 100 != 2) {
      throw new IllegalStateException("the node refused to leave: HTTP " + status);
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline && node.process().isAlive() && connectionsOpen(node) > 0) {
      Thread.sleep(100);
    }
  }

  /** A leaving node's open connections; none once it no longer answers. */
  private static long connectionsOpen(NodeProcess node) {
    try {
      return node.status().getConnectionsOpen();
    } catch (RuntimeException gone) {
      return 0;
    }
  }

  /** Asks every worker at once, each its own command; returns their answers in the workers' order. */
  private static List<Map<String, String>> askAll(List<WorkerProcess> swarm,
      java.util.function.Function<WorkerProcess, String> command) {
    List<CompletableFuture<Map<String, String>>> answers = new ArrayList<>();
    for (WorkerProcess worker : swarm) {
      String line = command.apply(worker);
      answers.add(CompletableFuture.supplyAsync(() -> {
        try {
          return worker.ask(line);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }));
    }
    return answers.stream().map(CompletableFuture::join).toList();
  }

  /** Adds a worker's sequence counts (skipped, repeated, recovered, unrecovered) to {@code sums}. */
  private static void addSequences(WorkerProcess worker, Map<String, Long> sums) throws IOException {
    worker.ask("sequences").forEach((key, value) -> sums.merge(key, Long.parseLong(value), Long::sum));
  }

  /** A worker's histogram, sent as one word. */
  private static Histogram decoded(String word) throws java.util.zip.DataFormatException {
    return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(word)), 0);
  }

  /** A histogram of microseconds as milliseconds at the percentiles a table shows. */
  private static Map<String, Double> millis(Histogram micros) {
    Map<String, Double> millis = new LinkedHashMap<>();
    millis.put("p50", micros.getValueAtPercentile(50) / 1000.0);
    millis.put("p99", micros.getValueAtPercentile(99) / 1000.0);
    millis.put("p999", micros.getValueAtPercentile(99.9) / 1000.0);
    millis.put("max", micros.getMaxValue() / 1000.0);
    return millis;
  }

  /** One SDK client per node: publishes go through every node in turn. */
  private static List<HeraldClient> clientsOf(List<NodeProcess> nodes) {
    return nodes.stream().map(NodeProcess::heraldClient).toList();
  }

  /**
   * Publishes for at least {@code seconds}, then until the publisher has caught up: no more
   * than 50 ms of its publishes (at least 16) unanswered for two seconds running. A node just
   * started compiles for its first minute or so under load (its C2 compiler thread took 24 s
   * of CPU in the first 64 s of a {@code topics} run), and so do the tool's JVMs; on two cores
   * that leaves a backlog of publishes queued in the SDK which a fixed warm-up may not outlast,
   * and measuring its tail would report the cold start as the steady state's latency. Gives
   * up after {@code --max-warmup} seconds (default the warm-up and 120 s) and measures anyway,
   * saying so: a publisher that never catches up is publishing faster than the nodes answer.
   */
  private WarmUp warmUp(Publisher publisher, int seconds, int rate) throws InterruptedException {
    long start = System.nanoTime();
    long earliestEnd = start + Duration.ofSeconds(seconds).toNanos();
    long latestEnd = start + Duration.ofSeconds(intOption("max-warmup", seconds + 120)).toNanos();
    long caughtUpBelow = Math.max(16, rate / 20);
    long caughtUpSince = Long.MAX_VALUE;
    long mostUnanswered = 0;
    while (true) {
      long now = System.nanoTime();
      long unanswered = publisher.unanswered();
      mostUnanswered = Math.max(mostUnanswered, unanswered);
      caughtUpSince = unanswered > caughtUpBelow ? Long.MAX_VALUE : Math.min(caughtUpSince, now);
      boolean caughtUp = caughtUpSince != Long.MAX_VALUE && now - caughtUpSince >= Duration.ofSeconds(2).toNanos();
      if ((caughtUp && now >= earliestEnd) || now >= latestEnd) {
        WarmUp warmUp = new WarmUp((now - start) / 1e9, mostUnanswered, caughtUp, unanswered);
        System.out.println(warmUp);
        return warmUp;
      }
      Thread.sleep(50);
    }
  }

  /** How long the warm-up took, the most publishes it saw unanswered, and whether it ended caught up. */
  private record WarmUp(double seconds, long mostUnanswered, boolean caughtUp, long unansweredAtEnd) {

    Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("warmupSeconds", Math.round(seconds * 10) / 10.0);
      map.put("warmupMostUnanswered", mostUnanswered);
      map.put("warmupCaughtUp", caughtUp);
      return map;
    }

    @Override
    public String toString() {
      return caughtUp
          ? String.format("warm-up: %.1f s, at most %d publishes unanswered; caught up", seconds, mostUnanswered)
          : String.format("warm-up: gave up after %.1f s with %d publishes unanswered (at most %d): the nodes do not"
              + " answer this rate; measuring anyway", seconds, unansweredAtEnd, mostUnanswered);
    }
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  /** Has each worker open its share of {@code subscribers} devices, each subscribing; returns how many did. */
  private static long openSubscribers(List<WorkerProcess> swarm, int subscribers) throws IOException {
    long subscribed = 0;
    for (WorkerProcess worker : swarm) {
      subscribed += Long.parseLong(worker.ask("open " + subscribers / swarm.size()).get("subscribed"));
    }
    return subscribed;
  }

  /** How many devices subscribe to each topic when every worker deals {@code perWorker} devices round them. */
  private static long[] subscribersPerTopic(int topics, int workers, int perWorker) {
    long[] counts = new long[topics];
    for (int topic = 0; topic < topics; topic++) {
      counts[topic] = (long) workers * (perWorker / topics + (topic < perWorker % topics ? 1 : 0));
    }
    return counts;
  }

  /**
   * D devices in G groups report state at a fixed total rate R: reports accepted per
   * second, and how long after a report its group's snapshot shows it.
   */
  private void state() throws Exception {
    int devices = intOption("devices", 10_000);
    int rate = intOption("rate", 5_000);
    int groups = intOption("groups", 10);
    int duration = intOption("duration", 30);
    int warmup = intOption("warmup", STEADY_WARMUP_SECONDS);
    // 0: reports carry request id 0 and get no answer; accepted ones are counted by the nodes.
    boolean answered = intOption("answers", 1) != 0;
    int workers = intOption("workers", 2);
    int resident = intOption("resident", 0);
    List<NodeProcess> nodes = startNodes(devices);
    NodeProcess node = nodes.get(0);
    try {
      if (resident > 0) {
        makeResident(nodes, resident);
      }
      List<WorkerProcess> swarm = startWorkers(nodes, workers, 0, groups);
      long connected = 0;
      for (WorkerProcess worker : swarm) {
        connected += Long.parseLong(worker.ask("open " + devices / workers).get("connected"));
      }
      Histogram snapshotLatency = new Histogram(3_600_000_000L, 3);
      io.herald.client.DeviceClient dashboard = io.herald.client.DeviceClient.connect(
          io.herald.client.DeviceClient.Options.builder()
              .uri(node.webSocketUri())
              .token(NodeProcess.token(new io.herald.node.security.DeviceIdentity("load-dashboard", List.of(),
                  java.util.Optional.of(List.of(new io.herald.node.security.TopicPattern("$group/+"))),
                  java.util.Optional.of(List.of())))).build()).join();
      dashboard.subscribe("$group/g0", message -> {
        try {
          var view = io.herald.protocol.v1.GroupAggregateView.parseFrom(message.payload());
          if (view.containsFields("sentAt")) {
            synchronized (snapshotLatency) {
              snapshotLatency.recordValue(Math.max(0, Micros.now() - (long) view.getFieldsOrThrow("sentAt").getMax()));
            }
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }).join();
      System.out.printf("%d devices in %d groups reporting %d/s in all for %d s after %d s of warm-up%n", connected,
          groups, rate, duration, warmup);
      if (warmup > 0) {
        reportState(swarm, rate, warmup, answered);
      }
      // Counts run from the start; a node still behind after the warm-up must not be counted as fast.
      StateCounts warmedUp = settled(() -> stateCounts(swarm, nodes, answered));
      synchronized (snapshotLatency) {
        snapshotLatency.reset();
      }
      double nodeCpuBefore = nodeCpuSeconds(nodes);
      double toolCpuBefore = toolCpuSeconds(swarm);
      reportState(swarm, rate, duration, answered);
      StateCounts measured = stateCounts(swarm, nodes, answered);
      long accepted = measured.accepted() - warmedUp.accepted();
      long refused = measured.refused() - warmedUp.refused();
      long resent = measured.resent() - warmedUp.resent();
      double nodeCpu = nodeCpuSeconds(nodes) - nodeCpuBefore;
      double toolCpu = toolCpuSeconds(swarm) - toolCpuBefore;
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("devices", connected);
      state.put("offeredPerSecond", rate);
      state.put("warmupSeconds", warmup);
      state.put("answered", answered);
      state.put("acceptedPerSecond", Math.round(accepted / (double) duration));
      state.put("refused", refused);
      state.put("resent", resent);
      state.put("nodes", nodes.size());
      state.put("deviceEntities", nodes.stream().mapToLong(each -> each.status().getDeviceEntities()).sum());
      synchronized (snapshotLatency) {
        state.put("reportToSnapshotMillis", Map.of(
            "p50", snapshotLatency.getValueAtPercentile(50) / 1000.0,
            "p99", snapshotLatency.getValueAtPercentile(99) / 1000.0,
            "max", snapshotLatency.getMaxValue() / 1000.0,
            "snapshots", snapshotLatency.getTotalCount()));
      }
      state.put("nodeCpuPercent", Math.round(100 * nodeCpu / duration));
      state.put("toolCpuPercent", Math.round(100 * toolCpu / duration));
      results.put("state", state);
      System.out.printf("accepted/s %d of %d offered | refused %d | resent %d | report-to-snapshot ms p50 %.1f p99 %.1f max %.1f"
              + " (%d snapshots) | CPU node %d%% tool %d%% (of one core)%n",
          state.get("acceptedPerSecond"), rate, refused, resent, snapshotLatency.getValueAtPercentile(50) / 1000.0,
          snapshotLatency.getValueAtPercentile(99) / 1000.0, snapshotLatency.getMaxValue() / 1000.0,
          snapshotLatency.getTotalCount(), state.get("nodeCpuPercent"), state.get("toolCpuPercent"));
      dashboard.close();
      swarm.forEach(WorkerProcess::close);
    } finally {
      nodes.forEach(NodeProcess::close);
    }
  }

  /**
   * Makes {@code count} device entities resident the way a fleet's backend would: it sets
   * the desired state of devices that have not connected yet, in batches of 1,000 through
   * every node's SDK client in turn. In four steps, with the nodes' heap after GC at each:
   * bytes per resident entity by slope.
   */
  private void makeResident(List<NodeProcess> nodes, int count) throws Exception {
    int batchSize = 1_000;
    int batchesInFlight = intOption("resident-in-flight", 8);
    List<HeraldClient> backends = nodes.stream().map(each -> HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(each.httpUri()).apiKey(NodeProcess.API_KEY).maxConcurrentRequests(batchesInFlight)
        .requestTimeout(Duration.ofSeconds(60)).build())).toList();
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(batchesInFlight);
    AtomicLong notSet = new AtomicLong();
    Map<String, Object> desired = Map.of("reportEvery", 60);
    int steps = 4;
    List<double[]> plateaus = new ArrayList<>();
    plateaus.add(new double[] {0, heapAfterGc(nodes)});
    System.out.printf("making %d device entities resident%n%14s %14s%n", count, "entities", "heap_after_gc");
    long started = System.nanoTime();
    // Time and node CPU while setting, without the forced GCs of the measurements.
    double settingSeconds = 0;
    double nodeCpu = 0;
    int batch = 0;
    for (int step = 1; step <= steps; step++) {
      long stepStarted = System.nanoTime();
      double cpuBefore = nodeCpuSeconds(nodes);
      int stepEnd = (int) ((long) count * step / steps);
      for (int first = (int) ((long) count * (step - 1) / steps); first < stepEnd; first += batchSize) {
        Map<String, Map<String, ?>> devices = new LinkedHashMap<>();
        for (int i = first; i < Math.min(first + batchSize, stepEnd); i++) {
          devices.put("fleet-" + i, desired);
        }
        window.acquire();
        backends.get(batch++ % backends.size()).setDesiredBatch(devices).whenComplete((result, failure) -> {
          notSet.addAndGet(failure != null ? devices.size() : result.refused());
          window.release();
        });
      }
      window.acquire(batchesInFlight);
      window.release(batchesInFlight);
      settingSeconds += (System.nanoTime() - stepStarted) / 1e9;
      nodeCpu += nodeCpuSeconds(nodes) - cpuBefore;
      long entities = nodes.stream().mapToLong(each -> each.status().getDeviceEntities()).sum();
      double[] plateau = {entities, heapAfterGc(nodes)};
      plateaus.add(plateau);
      System.out.printf("%14d %11.1f MB%n", entities, plateau[1] / 1e6);
    }
    backends.forEach(HeraldClient::close);
    double heapPerEntity = ProcessStats.slope(plateaus.stream().mapToDouble(r -> r[0]).toArray(),
        plateaus.stream().mapToDouble(r -> r[1]).toArray());
    long entities = (long) plateaus.get(steps)[0];
    System.out.printf("%d entities resident (%d not set); set at %.0f/s, node CPU %.0f us each;"
            + " heap per entity (slope) %.0f bytes; %.1f s in all%n", entities, notSet.get(), count / settingSeconds,
        nodeCpu * 1e6 / count, heapPerEntity, (System.nanoTime() - started) / 1e9);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("requested", count);
    summary.put("entities", entities);
    summary.put("notSet", notSet.get());
    summary.put("setPerSecond", Math.round(count / settingSeconds));
    summary.put("nodeCpuMicrosPerSet", Math.round(nodeCpu * 1e6 / count));
    summary.put("heapBytesPerEntity", Math.round(heapPerEntity));
    summary.put("plateaus", plateaus.stream()
        .map(r -> Map.of("entities", (long) r[0], "heapBytes", (long) r[1])).toList());
    results.put("resident", summary);
  }

  /**
   * Starts {@code --nodes} nodes (a local cluster when more than one), each with room for its
   * share of {@code connections}.
   */
  private List<NodeProcess> startNodes(int connections) {
    int count = intOption("nodes", 1);
    String heap = options.getOrDefault("node-heap", "2g");
    Map<String, String> settings = new HashMap<>(Map.of(
        "herald.connection.max-connections", Integer.toString(connections / count + 1_000),
        "herald.connection.publish-rate", "1000000",
        "herald.connection.publish-burst", "1000000"));
    String edge = options.getOrDefault("edge", NodeProcess.DEFAULT_EDGE);
    settings.put("herald.edge", edge);
    // Any other node setting, as --set key=value[,key=value...].
    for (String setting : options.getOrDefault("set", "").split(",")) {
      if (!setting.isBlank()) {
        String[] keyValue = setting.split("=", 2);
        settings.put(keyValue[0].trim(), keyValue[1].trim());
      }
    }
    List<String> jvm = new ArrayList<>(List.of("-Xmx" + heap, "-Xms" + heap));
    // Extra JVM options for the nodes, space-separated: a profiler or GC settings.
    for (String option : options.getOrDefault("node-jvm", "").split(" ")) {
      if (!option.isBlank()) {
        jvm.add(option);
      }
    }
    String[] jvmOptions = jvm.toArray(String[]::new);
    List<NodeProcess> nodes = new ArrayList<>();
    // Workers end when their stdin closes; the nodes would outlive an abnormal exit without this.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(NodeProcess::close), "herald-load-stop-nodes"));
    if (count == 1) {
      nodes.add(NodeProcess.start("load", settings, jvmOptions));
    } else {
      int seedPort = NodeProcess.freePort();
      for (int n = 0; n < count; n++) {
        int clusterPort = n == 0 ? seedPort : NodeProcess.freePort();
        nodes.add(NodeProcess.startClusterMember("load-" + (n + 1), clusterPort, seedPort, settings, jvmOptions));
        clusterPorts.put(nodes.get(n), clusterPort);
      }
    }
    results.put("nodeHeap", heap);
    results.put("edge", edge);
    return nodes;
  }

  /** Worker k drives its devices from 127.0.0.(k+2) against node k mod nodes. */
  private List<WorkerProcess> startWorkers(List<NodeProcess> nodes, int count, int topics, int groups)
      throws IOException {
    List<WorkerProcess> workers = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      NodeProcess node = nodes.get(k % nodes.size());
      workers.add(new WorkerProcess(node.webSocketUri().toString(), "127.0.0." + (2 + k), "load-" + k + "-", topics,
          groups));
    }
    return workers;
  }

  /** One reading of a process, by pid. */
  private interface ProcessReading {
    double of(long pid) throws Exception;
  }

  /** Has every worker's devices report for {@code seconds}; returns when they have. */
  private static void reportState(List<WorkerProcess> swarm, int rate, int seconds, boolean answered) {
    askAll(swarm, worker -> "state " + rate / swarm.size() + " " + seconds + (answered ? "" : " unanswered"));
  }

  /** State reports accepted and refused, and those the nodes sent again to their entities, since the start. */
  private record StateCounts(long accepted, long refused, long resent) {}

  /**
   * Accepted reports as the workers' answers count them, or, for unanswered reports, as
   * the nodes' {@code state_updates} counter does; refusals always come back as errors.
   */
  private static StateCounts stateCounts(List<WorkerProcess> swarm, List<NodeProcess> nodes, boolean answered)
      throws IOException {
    long accepted = 0;
    long refused = 0;
    for (WorkerProcess worker : swarm) {
      Map<String, String> counts = worker.ask("counts");
      accepted += Long.parseLong(counts.get("accepted"));
      refused += Long.parseLong(counts.get("refused"));
    }
    if (!answered) {
      accepted = nodeCount(nodes, "state_updates");
    }
    return new StateCounts(accepted, refused, nodeCount(nodes, "state_reports_resent"));
  }

  /** A counter of {@code GET /v1/node}, summed over the nodes. */
  private static long nodeCount(List<NodeProcess> nodes, String counter) {
    return nodes.stream().mapToLong(node -> node.status().getCountersMap().getOrDefault(counter, 0L)).sum();
  }

  private interface Reading<T> {
    T take() throws Exception;
  }

  /** Takes a reading each second until it stops moving (at most 30 s); returns the last. */
  private static <T> T settled(Reading<T> reading) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    T previous = reading.take();
    while (System.nanoTime() < deadline) {
      Thread.sleep(1_000);
      T now = reading.take();
      if (now.equals(previous)) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  /** A reading summed over the nodes: CPU, heap and RSS of a cluster are its nodes' together. */
  private static double sumOverNodes(List<NodeProcess> nodes, ProcessReading reading) throws Exception {
    double total = 0;
    for (NodeProcess node : nodes) {
      if (!node.process().isAlive()) {
        // Out of memory, say: there is nothing left to read, and the run is over.
        throw new IllegalStateException("a node exited during the run; its log: " + node.logPath().toAbsolutePath());
      }
      total += reading.of(node.pid());
    }
    return total;
  }

  private static double nodeCpuSeconds(List<NodeProcess> nodes) throws Exception {
    return sumOverNodes(nodes, ProcessStats::cpuSeconds);
  }

  /** The nodes' heaps in use after a forced GC, together. */
  private static double heapAfterGc(List<NodeProcess> nodes) throws Exception {
    return sumOverNodes(nodes, ProcessStats::heapAfterGc);
  }

  private static double rssBytes(List<NodeProcess> nodes) throws Exception {
    return sumOverNodes(nodes, ProcessStats::rssBytes);
  }

  private static int liveThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  private static double toolCpuSeconds(List<WorkerProcess> workers) throws IOException {
    double total = ProcessStats.cpuSeconds(ProcessHandle.current().pid());
    for (WorkerProcess worker : workers) {
      total += ProcessStats.cpuSeconds(worker.pid());
    }
    return total;
  }

  private int intOption(String name, int fallback) {
    return Integer.parseInt(options.getOrDefault(name, Integer.toString(fallback)));
  }

  private void write(String scenario) throws IOException {
    Path out = Path.of(options.getOrDefault("out", "target/load/" + scenario + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json"));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, Json.write(results) + "\n");
    System.out.println("results: " + out);
  }
}
