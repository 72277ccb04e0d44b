package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.BroadcastResult;
import io.herald.client.DeviceClient;
import io.herald.client.HeraldException;
import io.herald.client.HeraldClient;
import io.herald.client.PublishResult;
import io.herald.client.ResumePoint;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ErrorCode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/** One node fans a hot topic out to thousands of devices, and quiet topics to a few. */
@EveryDeviceEdge
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FanOutTest {

  @Parameter
  String edge;

  private static final int HOT_SUBSCRIBERS = 2_000;
  private static final int QUIET_TOPICS = 4;
  private static final int MESSAGES = 1_000;
  private static final String HOT_TOPIC = "fleet/all";
  private static final int PUBLISH_WINDOW = 32;

  private NodeProcess node;
  private HeraldClient herald;
  private final List<DeviceClient> devices = new ArrayList<>();

  @BeforeParameterizedClassInvocation(injectArguments = false)
  void startNode() {
    // Below the default threshold the topic would deliver directly; this test wants the worker pool.
    node = NodeProcess.start("fanout", Map.of("herald.edge", edge, "herald.topic.fanout-parallel-threshold", "500"));
    herald = node.heraldClient();
  }

  @AfterParameterizedClassInvocation(injectArguments = false)
  void stopNode() {
    devices.forEach(DeviceClient::close);
    node.close();
  }

  @Test
  void everySubscriberReceivesExactlyItsTopicsMessagesInOrder() {
    List<Receiver> hot = new ArrayList<>();
    for (int i = 0; i < HOT_SUBSCRIBERS; i += 200) {
      List<CompletableFuture<Void>> batch = new ArrayList<>();
      for (int j = i; j < i + 200; j++) {
        Receiver receiver = new Receiver(HOT_TOPIC, j % 10 == 0 ? WireFormat.JSON : WireFormat.PROTOBUF);
        hot.add(receiver);
        batch.add(receiver.subscribe());
      }
      CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
    }
    List<Receiver> quiet = new ArrayList<>();
    for (int t = 0; t < QUIET_TOPICS; t++) {
      for (WireFormat format : WireFormat.values()) {
        Receiver receiver = new Receiver("fleet/quiet-" + t, format);
        quiet.add(receiver);
        receiver.subscribe().join();
      }
    }

    // Publishes go out with a window in flight, as a busy backend sends them; the node's
    // sequences say the order every subscriber must see.
    List<CompletableFuture<PublishResult>> hotPublishes = new ArrayList<>();
    List<List<CompletableFuture<PublishResult>>> quietPublishes = new ArrayList<>();
    for (int t = 0; t < QUIET_TOPICS; t++) {
      quietPublishes.add(new ArrayList<>());
    }
    for (int m = 0; m < MESSAGES; m++) {
      if (m >= PUBLISH_WINDOW) {
        hotPublishes.get(m - PUBLISH_WINDOW).join();
      }
      hotPublishes.add(herald.publish(HOT_TOPIC, payload(HOT_TOPIC, m)));
      if (m % 10 == 0) {
        int t = (m / 10) % QUIET_TOPICS;
        String topic = "fleet/quiet-" + t;
        quietPublishes.get(t).add(herald.publish(topic, payload(topic, m)));
      }
    }
    List<Long> hotSequences = sequencesOf(hotPublishes);
    List<List<Long>> quietSequences = quietPublishes.stream().map(FanOutTest::sequencesOf).toList();
    Await.until(Duration.ofSeconds(90), () -> "hot subscribers still waiting: " + hot.stream()
            .filter(r -> r.received.size() < MESSAGES).count(),
        () -> hot.stream().allMatch(r -> r.received.size() >= MESSAGES));
    for (Receiver receiver : hot) {
      receiver.assertReceivedExactly(hotSequences);
    }
    Await.until(Duration.ofSeconds(30), "quiet subscribers",
        () -> quiet.stream().allMatch(r -> r.received.size() >= MESSAGES / 10 / QUIET_TOPICS));
    for (Receiver receiver : quiet) {
      int t = Integer.parseInt(receiver.topic.substring(receiver.topic.length() - 1));
      receiver.assertReceivedExactly(quietSequences.get(t));
    }
    assertEquals(0, node.counter("drops.slow_consumer"), "nothing may be dropped at this rate");
  }

  @Test
  void aDeviceThatRestartsResumesFromThePlaceItSaved() {
    String topic = "restarting/" + edge;
    ConcurrentLinkedQueue<Long> beforeRestart = new ConcurrentLinkedQueue<>();
    ResumePoint saved;
    try (DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build())
        .join()) {
      device.subscribe(topic, message -> beforeRestart.add(message.sequence())).join();
      publish(topic, 2);
      Await.until(Duration.ofSeconds(10), "both messages", () -> beforeRestart.size() == 2);
      saved = device.resumePoint(topic).orElseThrow();
    }
    assertEquals(2, saved.sequence(), "the last one received");
    assertEquals(List.of(3L, 4L, 5L), publish(topic, 3), "kept while the device is away");

    ConcurrentLinkedQueue<Long> afterRestart = new ConcurrentLinkedQueue<>();
    try (DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build())
        .join()) {
      assertTrue(device.subscribe(topic, saved, message -> afterRestart.add(message.sequence())).join(),
          "nothing missed");
      Await.until(Duration.ofSeconds(10), () -> "what it missed: " + afterRestart, () -> afterRestart.size() == 3);
      assertEquals(List.of(3L, 4L, 5L), List.copyOf(afterRestart));

      assertFalse(device.subscribe(topic + "/other", new ResumePoint("an-epoch-long-gone", 7), message -> {}).join(),
          "another epoch: told it missed messages");
    }
  }

  private List<Long> publish(String topic, int count) {
    List<Long> sequences = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sequences.add(herald.publish(topic, new byte[] {(byte) i}).join().sequence());
    }
    return sequences;
  }

  /** A device that answers each command with a publish of its own, written the plain way. */
  @Test
  void aHandlerMayWaitForTheAnswerToARequestOfItsOwnClient() {
    assertEveryCommandAcknowledgedFromItsHandler("commands/", DeviceClient.Options.builder());
  }

  /**
   * Connects a device whose handler publishes an acknowledgement of each command and waits for
   * the answer, and checks that three commands are each acknowledged in turn.
   */
  private void assertEveryCommandAcknowledgedFromItsHandler(String prefix, DeviceClient.Options.Builder options) {
    String commands = prefix + edge;
    DeviceClient device = connectDevice(options);
    ConcurrentLinkedQueue<Byte> acknowledged = new ConcurrentLinkedQueue<>();
    device.subscribe(commands, command -> {
      device.publish(prefix + "acks/" + edge, command.payload()).join();
      acknowledged.add(command.payload()[0]);
    }).join();

    publish(commands, 3);

    // The handler's publish is answered while the handler waits: within the request timeout (10 s), well within.
    Await.until(Duration.ofSeconds(5), "every command acknowledged from its handler", () -> acknowledged.size() == 3);
    assertEquals(List.of((byte) 0, (byte) 1, (byte) 2), List.copyOf(acknowledged));
    assertTrue(device.isConnected());
  }

  /** The same from a future's callback: it runs on a handler thread, not on the reader. */
  @Test
  void aCallbackMayWaitForTheAnswerToAnotherRequestOfItsOwnClient() {
    DeviceClient device = connectDevice(DeviceClient.Options.builder());
    String topic = "chained/" + edge;

    List<CompletableFuture<PublishResult>> chains = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      chains.add(device.publish(topic, new byte[] {1})
          .thenApply(first -> device.publish(topic, new byte[] {2}).join()));
    }

    CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).orTimeout(5, TimeUnit.SECONDS).join();
    assertTrue(device.isConnected());
  }

  /** A handler that falls behind holds the client's reading at its bound, and loses nothing that waits. */
  @Test
  void aHandlerThatFallsBehindStopsTheClientReadingAtItsBound() throws Exception {
    String topic = "slow-handler/" + edge;
    DeviceClient device = connectDevice(DeviceClient.Options.builder().maxPendingMessages(4));
    CountDownLatch firstHandled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ConcurrentLinkedQueue<Long> handled = new ConcurrentLinkedQueue<>();
    device.subscribe(topic, message -> {
      firstHandled.countDown();
      await(release);
      handled.add(message.sequence());
    }).join();

    publish(topic, 50);
    assertTrue(firstHandled.await(5, TimeUnit.SECONDS));
    // Four wait for the handler (the one it holds among them); the pong is behind unread messages.
    CompletableFuture<Void> ping = device.ping();
    assertThrows(TimeoutException.class, () -> ping.get(1, TimeUnit.SECONDS), "the client stopped reading");

    release.countDown();
    ping.get(5, TimeUnit.SECONDS);
    Await.until(Duration.ofSeconds(5), "every message handled", () -> handled.size() == 50);
    List<Long> inOrder = new ArrayList<>(handled);
    assertEquals(LongStream.rangeClosed(inOrder.get(0), inOrder.get(0) + 49).boxed().toList(), inOrder);
  }

  /**
   * A request the node does not answer in time fails with the SDK's exception, and its callbacks run on the
   * SDK's threads, not on the JDK's one delay thread that every timeout in the process shares.
   */
  @Test
  void aRequestNotAnsweredInTimeFailsOnTheSdksThreads() throws Exception {
    whileStuckInItsHandler("unanswered/" + edge, DeviceClient.Options.builder()
        .requestTimeout(Duration.ofMillis(500)), device -> {
          // Its reading stopped at the bound, the client never reads the pong.
          AtomicReference<String> failedOn = new AtomicReference<>();
          CompletableFuture<Void> ping = device.ping()
              .whenComplete((pong, failure) -> failedOn.set(Thread.currentThread().getName()));

          ExecutionException failure = assertThrows(ExecutionException.class, () -> ping.get(5, TimeUnit.SECONDS));
          HeraldException unanswered = assertInstanceOf(HeraldException.class, failure.getCause());
          assertInstanceOf(TimeoutException.class, unanswered.getCause());
          assertTrue(failedOn.get().startsWith("herald-device-handler-"), "completed on " + failedOn.get());
        });
  }

  /** Its close answered behind unread messages, a client still ends within its connect timeout. */
  @Test
  void aClientWhoseHandlersAreBehindClosesWithinItsConnectTimeout() throws Exception {
    whileStuckInItsHandler("closing-behind/" + edge, DeviceClient.Options.builder()
        .connectTimeout(Duration.ofSeconds(1)), device -> {
          device.closeAsync().get(5, TimeUnit.SECONDS);
          assertFalse(device.isConnected());
        });
  }

  /** What a test checks of a device stuck in its handler. */
  private interface StuckDeviceCheck {
    void check(DeviceClient device) throws Exception;
  }

  /**
   * Runs {@code check} on a device whose handler holds the first of ten messages on {@code topic}, with
   * room for two waiting: its client stops reading within those ten, so nothing the node sends after
   * them is read until the check ends and the handler is released.
   */
  private void whileStuckInItsHandler(String topic, DeviceClient.Options.Builder options, StuckDeviceCheck check)
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try {
      DeviceClient device = connectDevice(options.maxPendingMessages(2));
      CountDownLatch firstHandled = new CountDownLatch(1);
      device.subscribe(topic, message -> {
        firstHandled.countDown();
        await(release);
      }).join();
      publish(topic, 10);
      assertTrue(firstHandled.await(5, TimeUnit.SECONDS));
      check.check(device);
    } finally {
      release.countDown();
    }
  }

  /**
   * A gateway's devices share one small pool for their handlers: each device's messages reach
   * it in order on the pool's threads, and a device whose handler blocks holds one thread
   * while the others go on with the rest.
   */
  @Test
  void devicesSharingAPoolOfHandlerThreadsEachGetTheirMessagesInOrder() throws Exception {
    String topic = "gateway/" + edge;
    AtomicInteger poolThreads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2,
        runnable -> new Thread(runnable, "gateway-handler-" + poolThreads.incrementAndGet()));
    CountDownLatch release = new CountDownLatch(1);
    try {
      CountDownLatch blockedHandling = new CountDownLatch(1);
      connectDevice(DeviceClient.Options.builder().handlerExecutor(pool)).subscribe(topic, message -> {
        blockedHandling.countDown();
        await(release);
      }).join();
      List<ConcurrentLinkedQueue<Long>> received = new ArrayList<>();
      ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < 20; i++) {
        ConcurrentLinkedQueue<Long> sequences = new ConcurrentLinkedQueue<>();
        received.add(sequences);
        connectDevice(DeviceClient.Options.builder().handlerExecutor(pool)).subscribe(topic, message -> {
          threads.add(Thread.currentThread().getName());
          sequences.add(message.sequence());
        }).join();
      }

      Set<Long> threadsBefore = liveThreads().keySet();
      List<Long> published = publish(topic, 200);

      assertTrue(blockedHandling.await(5, TimeUnit.SECONDS));
      Await.until(Duration.ofSeconds(20), "every device but the blocked one handles every message",
          () -> received.stream().allMatch(sequences -> sequences.size() == published.size()));
      for (ConcurrentLinkedQueue<Long> sequences : received) {
        assertEquals(published, List.copyOf(sequences));
      }
      assertEquals(2, poolThreads.get(), "the pool's two threads and no more");
      assertTrue(threads.stream().allMatch(name -> name.startsWith("gateway-handler-")), "handlers on the pool");
      // Nor does the SDK read on a thread per busy connection (the JDK client's default).
      List<String> startedForReading = liveThreads().entrySet().stream()
          .filter(thread -> !threadsBefore.contains(thread.getKey()))
          .map(Map.Entry::getValue)
          .filter(name -> name.startsWith("HttpClient-") || name.startsWith("herald-device-handler-"))
          .toList();
      assertEquals(List.of(), startedForReading, "threads started while the devices received");
    } finally {
      release.countDown();
      pool.shutdown();
    }
  }

  /** On a pool of one thread a handler may still wait for its own client's request: answers complete elsewhere. */
  @Test
  void aHandlerOnAPoolOfOneMayWaitForTheAnswerToARequestOfItsOwnClient() {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      assertEveryCommandAcknowledgedFromItsHandler("pooled-commands/", DeviceClient.Options.builder()
          .handlerExecutor(pool));
    } finally {
      pool.shutdown();
    }
  }

  private static Map<Long, String> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .collect(Collectors.toMap(Thread::getId, Thread::getName));
  }

  /** A device on this class's node, closed with the others. */
  private DeviceClient connectDevice(DeviceClient.Options.Builder options) {
    DeviceClient device = DeviceClient.connect(options.uri(node.deviceUri()).build()).join();
    synchronized (devices) {
      devices.add(device);
    }
    return device;
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aBroadcastReachesEveryValidTopicItNamesAndAnswersForEach() {
    Map<String, ConcurrentLinkedQueue<TopicMessage>> received = new java.util.LinkedHashMap<>();
    for (String topic : List.of("news/a", "news/b")) {
      ConcurrentLinkedQueue<TopicMessage> messages = new ConcurrentLinkedQueue<>();
      received.put(topic, messages);
      DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build()).join();
      devices.add(device);
      device.subscribe(topic, messages::add).join();
    }

    BroadcastResult result = herald.broadcast(List.of("news/a", "not a topic", "news/b", "$group/g1"),
        new byte[] {7}).join();

    assertEquals(2, result.accepted());
    assertEquals(2, result.rejected());
    assertEquals(List.of("news/a", "not a topic", "news/b", "$group/g1"),
        result.outcomes().stream().map(BroadcastResult.Outcome::topic).toList());
    assertEquals(java.util.Optional.of(ErrorCode.INVALID_TOPIC), result.outcomes().get(1).error());
    assertEquals(java.util.Optional.of(ErrorCode.RESERVED_TOPIC), result.outcomes().get(3).error());
    Await.until(Duration.ofSeconds(10), "both topics get the payload",
        () -> received.values().stream().allMatch(messages -> !messages.isEmpty()));
    for (ConcurrentLinkedQueue<TopicMessage> messages : received.values()) {
      assertEquals(1, messages.size());
      org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {7}, messages.peek().payload());
    }
  }

  /** The sequences the node gave, ascending: the order in which subscribers must receive them. */
  private static List<Long> sequencesOf(List<CompletableFuture<PublishResult>> publishes) {
    return publishes.stream().map(CompletableFuture::join).map(PublishResult::sequence).sorted().toList();
  }

  /** The payload names its topic and publish index, so a misrouted message is caught. */
  private static byte[] payload(String topic, int index) {
    byte[] name = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return ByteBuffer.allocate(name.length + 4).put(name).putInt(index).array();
  }

  private final class Receiver {
    final String topic;
    final WireFormat format;
    /** Sequences in arrival order; payloads are checked on arrival and not kept. */
    final ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> misrouted = new ConcurrentLinkedQueue<>();

    Receiver(String topic, WireFormat format) {
      this.topic = topic;
      this.format = format;
    }

    CompletableFuture<Void> subscribe() {
      return DeviceClient.connect(DeviceClient.Options.builder()
              .uri(node.deviceUri())
              .format(format)
              .connectTimeout(Duration.ofSeconds(15))
              .build())
          .thenCompose(device -> {
            synchronized (devices) {
              devices.add(device);
            }
            return device.subscribe(topic, this::onMessage);
          });
    }

    void onMessage(TopicMessage message) {
      String payloadTopic = new String(message.payload(), 0, message.payload().length - 4,
          java.nio.charset.StandardCharsets.UTF_8);
      if (!topic.equals(message.topic()) || !topic.equals(payloadTopic)) {
        misrouted.add(message.topic() + " / " + payloadTopic);
      }
      received.add(message.sequence());
    }

    /** Exactly these sequences, in this order: none missing, none twice, none from elsewhere. */
    void assertReceivedExactly(List<Long> sequences) {
      assertEquals(List.of(), List.copyOf(misrouted), topic + " (" + format + ") received other topics' messages");
      assertEquals(sequences, List.copyOf(received), topic + " (" + format + ") sequences");
    }
  }
}
