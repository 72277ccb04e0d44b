package io.herald.load;

import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.it.support.NodeProcess;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.Message;
import io.herald.protocol.v1.ResumeFrom;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.Subscribe;
import io.herald.protocol.v1.Subscribed;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Many device connections on one Netty event loop: no thread and no stream per
 * connection. Each device connects from a given source address with its own token,
 * optionally subscribes to one of {@code topics} topics, answers heartbeats, and records for every message
 * the latency from the intended send time its payload carries. Devices can drop their
 * connections and rejoin, to the same node or another, resuming their topic where they
 * left off; every device checks that its topic's sequences follow on, none missing and
 * none twice.
 */
final class DeviceSwarm implements AutoCloseable {

  /** Native epoll where Linux has it, as the node's edge uses: it cost the workers less CPU than NIO. */
  private static final boolean EPOLL = Epoll.isAvailable();
  /** How long {@link #drop} waits for the sockets it closed; closing on loopback takes milliseconds. */
  private static final java.time.Duration DROP_TIMEOUT = java.time.Duration.ofSeconds(30);

  private final EventLoopGroup loop = EPOLL ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
  private URI target;
  private final String sourceAddress;
  private final String devicePrefix;
  private final int topics;
  private final int groups;
  private final Histogram latencyMicros = new Histogram(3_600_000_000L, 3);
  private final AtomicLong connected = new AtomicLong();
  private final AtomicLong subscribed = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private long countFromMicros;
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong stateAccepted = new AtomicLong();
  private final AtomicLong stateRefused = new AtomicLong();
  private final java.util.List<Channel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Device> devices = new ArrayList<>();
  private final AtomicLong resumed = new AtomicLong();
  private final AtomicLong notResumed = new AtomicLong();
  private final AtomicLong recovered = new AtomicLong();
  private final AtomicLong unrecovered = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong repeated = new AtomicLong();
  private final Histogram resubscribeMicros = new Histogram(3_600_000_000L, 3);

  /**
   * Devices named {@code devicePrefix + n}, device n subscribing to {@link #topicOf topicOf(n, topics)}
   * (to none when {@code topics} is 0), in {@code groups} groups.
   */
  DeviceSwarm(URI target, String sourceAddress, String devicePrefix, int topics, int groups) {
    this.target = target;
    this.sourceAddress = sourceAddress;
    this.devicePrefix = devicePrefix;
    this.topics = topics;
    this.groups = groups;
  }

  /** Opens {@code count} more connections, 200 at a time; returns when all have answered or failed. */
  void open(int count) throws InterruptedException {
    List<Device> added = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int index = devices.size();
      Device device = new Device(devicePrefix + index, topics == 0 ? null : topicOf(index, topics));
      devices.add(device);
      added.add(device);
    }
    connectAll(added);
  }

  /**
   * Closes every device's connection abruptly, as a lost link would; returns when all are
   * closed, or fails after {@code DROP_TIMEOUT}.
   */
  void drop() {
    List<io.netty.channel.ChannelFuture> closed = new ArrayList<>();
    for (Device device : devices) {
      if (device.channel != null) {
        closed.add(device.channel.close());
      }
    }
    long deadline = System.nanoTime() + DROP_TIMEOUT.toNanos();
    for (io.netty.channel.ChannelFuture close : closed) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!close.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
        throw new IllegalStateException("devices' connections still open " + DROP_TIMEOUT.toSeconds() + " s after"
            + " closing them");
      }
    }
  }

  /**
   * Reconnects every device to {@code node}, each subscribing again from where it left off,
   * as a fleet does after a node goes away; returns when all have answered, with how long
   * that took.
   */
  Rejoin rejoin(URI node) throws InterruptedException {
    target = node;
    long started = System.nanoTime();
    long connectedBefore = connected.get();
    long refusedBefore = refused.get();
    connectAll(devices);
    long stormMicros = (System.nanoTime() - started) / 1_000;
    synchronized (resubscribeMicros) {
      return new Rejoin(connected.get() - connectedBefore, refused.get() - refusedBefore, stormMicros, resumed.get(),
          notResumed.get(), resubscribeMicros.copy());
    }
  }

  /**
   * How a rejoin went: the connections it opened, the attempts refused for now (and tried
   * again), its whole length, resumes that missed nothing and those that did, and each
   * device's wait from subscribing to the confirmation.
   */
  record Rejoin(long connected, long refused, long stormMicros, long resumed, long notResumed,
      Histogram resubscribeMicros) {}

  /**
   * Sequences as every device checked them: messages it never received (skipped within a
   * subscription, or passed over by a resume that missed some, where the epoch says how
   * many) and received twice, and those published before the node welcomed it that it got
   * from a resume.
   */
  record Sequences(long skipped, long repeated, long recovered, long unrecovered) {}

  Sequences sequences() {
    return new Sequences(skipped.get(), repeated.get(), recovered.get(), unrecovered.get());
  }

  /**
   * At most 200 first attempts in flight: enough to keep the node busy, few enough for its
   * backlog. A refused device gives its place up while it waits, and tries again on its
   * own schedule, as every device of a fleet does.
   */
  private void connectAll(List<Device> toConnect) throws InterruptedException {
    Semaphore inFlight = new Semaphore(200);
    CountDownLatch answered = new CountDownLatch(toConnect.size());
    for (Device device : toConnect) {
      inFlight.acquire();
      connect(device, once(inFlight::release), answered::countDown);
    }
    answered.await(300, TimeUnit.SECONDS);
  }

  /** Runs {@code action} the first time it is called, never again. */
  private static Runnable once(Runnable action) {
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        action.run();
      }
    };
  }

  /**
   * The wait before a refused device tries again, as the SDK's devices wait: a random time
   * between half and all of 200 ms doubled per refusal, at most 10 s.
   */
  private static long retryDelayMillis(int refusals) {
    long ceiling = Math.min(10_000, 200L << Math.min(refusals, 6));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  long connected() {
    return connected.get();
  }

  long subscribed() {
    return subscribed.get();
  }

  long failed() {
    return failed.get();
  }

  /**
   * Has the devices report state at {@code perSecond} reports a second in all, spread over
   * them in 10 ms slots, for {@code seconds}; each report carries its send time in
   * microseconds as the number field {@code sentAt}. Reports ask for an answer unless
   * {@code answered} is false (request id 0: only a refusal is answered). Returns when the
   * time is up.
   */
  void reportState(int perSecond, int seconds, boolean answered) throws InterruptedException {
    long requestId = answered ? 2 : 0;
    if (channels.isEmpty()) {
      Thread.sleep(seconds * 1000L);
      return;
    }
    AtomicLong next = new AtomicLong();
    AtomicLong slots = new AtomicLong();
    var reporting = loop.scheduleAtFixedRate(() -> {
      // 100 slots a second; slot k sends its share of the rate, so the total is exact at any rate.
      long slot = slots.getAndIncrement();
      long due = (slot + 1) * perSecond / 100 - slot * perSecond / 100;
      for (long i = 0; i < due; i++) {
        Channel channel = channels.get((int) (next.getAndIncrement() % channels.size()));
        send(channel, ClientFrame.newBuilder().setRequestId(requestId).setReportState(
            io.herald.protocol.v1.ReportState.newBuilder()
                .putFields("temp", io.herald.protocol.v1.Value.newBuilder()
                    .setNumber(java.util.concurrent.ThreadLocalRandom.current().nextInt(400) / 10.0).build())
                .putFields("sentAt", io.herald.protocol.v1.Value.newBuilder().setNumber(Micros.now()).build()))
            .build());
      }
    }, 10, 10, TimeUnit.MILLISECONDS);
    Thread.sleep(seconds * 1000L);
    reporting.cancel(false);
  }

  long stateAccepted() {
    return stateAccepted.get();
  }

  long stateRefused() {
    return stateRefused.get();
  }

  /** Messages received and their latencies since the last reset, as one snapshot. */
  synchronized Report report() {
    return new Report(received.get(), latencyMicros.copy());
  }

  /**
   * Counts from now on only messages intended to be sent at or after {@code fromMicros},
   * so a message in flight across the reset is never half counted.
   */
  synchronized void reset(long fromMicros) {
    countFromMicros = fromMicros;
    received.set(0);
    latencyMicros.reset();
  }

  record Report(long received, Histogram latencyMicros) {}

  @Override
  public void close() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  /** The topic the n-th device of a worker subscribes to: devices are dealt round the topics. */
  static String topicOf(long device, int topics) {
    return "load/" + device % topics;
  }

  /** One device of the swarm: who it is, its topic (or none) and where it is in it. */
  private static final class Device {
    final String id;
    final String topic;
    /** Set on the event loop, closed by {@link #drop} from the coordinator's thread. */
    volatile Channel channel;
    /** The epoch of its last confirmation, empty before the first. */
    String epoch = "";
    /** The sequence it received last (or its confirmation's); the next message must follow it. */
    long lastSequence;
    /**
     * When the node welcomed its current connection: messages intended before it were
     * published while it was away (refused, held back or not yet trying); latency counts
     * from here on, its wait for a resume included.
     */
    long welcomedAtMicros;
    long subscribeSentNanos;
    /** Attempts refused for now in a row (429 over the node's accept rate, 503 when it is full). */
    int refusals;

    Device(String id, String topic) {
      this.id = id;
      this.topic = topic;
    }
  }

  /**
   * Runs {@code givePlaceUp} at the first refusal or at the answer, and {@code onAnswer} once
   * the device is connected (and subscribed, if it subscribes) or has failed.
   */
  private void connect(Device device, Runnable givePlaceUp, Runnable onAnswer) {
    String group = "g" + Math.floorMod(device.id.hashCode(), Math.max(1, groups));
    URI uri = URI.create(target + "?token=" + NodeProcess.token(new io.herald.node.security.DeviceIdentity(
        device.id, groups > 0 ? java.util.List.of(group) : java.util.List.of(), java.util.Optional.empty(),
        java.util.Optional.empty())));
    var handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13,
        WireFormat.PROTOBUF.subprotocol(), false, new DefaultHttpHeaders(), 1 << 20);
    DeviceHandler handler = new DeviceHandler(device, givePlaceUp, onAnswer);
    new Bootstrap()
        .group(loop)
        .channel(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                new WebSocketClientProtocolHandler(handshaker), handler);
          }
        })
        .connect(new InetSocketAddress(target.getHost(), target.getPort()), new InetSocketAddress(sourceAddress, 0))
        .addListener(future -> {
          if (!future.isSuccess()) {
            failed.incrementAndGet();
            handler.markAnswered();
          }
        });
  }

  /**
   * One connection of a device: subscribes (to its topic, if any, from where the device left
   * off) once welcomed, answers pings, checks and records messages.
   */
  private final class DeviceHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final Device device;
    private final Runnable givePlaceUp;
    private final Runnable onAnswer;
    private boolean answered;

    DeviceHandler(Device device, Runnable givePlaceUp, Runnable onAnswer) {
      this.device = device;
      this.givePlaceUp = givePlaceUp;
      this.onAnswer = onAnswer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, WebSocketFrame frame) throws InvalidProtocolBufferException {
      if (!(frame instanceof BinaryWebSocketFrame)) {
        return;
      }
      ServerFrame serverFrame = ServerFrame.parseFrom(frame.content().nioBuffer());
      switch (serverFrame.getKindCase()) {
        case WELCOME -> {
          connected.incrementAndGet();
          device.welcomedAtMicros = Micros.now();
          device.refusals = 0;
          device.channel = context.channel();
          channels.add(context.channel());
          if (device.topic == null) {
            markAnswered();
          } else {
            subscribe(context.channel());
          }
        }
        case SUBSCRIBED -> {
          confirmed(serverFrame.getSubscribed());
          markAnswered();
        }
        case MESSAGE -> record(serverFrame.getMessage());
        case STATE_ACCEPTED -> stateAccepted.incrementAndGet();
        case ERROR -> stateRefused.incrementAndGet();
        case BATCH -> serverFrame.getBatch().getMessagesList().forEach(this::record);
        case PING -> send(context.channel(), ClientFrame.newBuilder()
            .setPong(io.herald.protocol.v1.Pong.getDefaultInstance()).build());
        default -> { }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      if (cause instanceof WebSocketClientHandshakeException refusal && refusal.response() != null
          && (refusal.response().status().code() == 429 || refusal.response().status().code() == 503)) {
        refused.incrementAndGet();
        answered = true; // the next attempt answers for this device
        givePlaceUp.run();
        context.close();
        loop.schedule(() -> connect(device, givePlaceUp, onAnswer), retryDelayMillis(device.refusals++),
            TimeUnit.MILLISECONDS);
        return;
      }
      failed.incrementAndGet();
      markAnswered();
      context.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      channels.remove(context.channel());
      markAnswered();
    }

    void markAnswered() {
      if (!answered) {
        answered = true;
        givePlaceUp.run();
        onAnswer.run();
      }
    }

    private void subscribe(Channel channel) {
      Subscribe.Builder subscribe = Subscribe.newBuilder().setTopic(device.topic);
      if (!device.epoch.isEmpty()) {
        subscribe.setResumeFrom(ResumeFrom.newBuilder().setEpoch(device.epoch).setSequence(device.lastSequence));
      }
      device.subscribeSentNanos = System.nanoTime();
      send(channel, ClientFrame.newBuilder().setRequestId(1).setSubscribe(subscribe).build());
    }

    private void confirmed(Subscribed confirmation) {
      subscribed.incrementAndGet();
      if (!device.epoch.isEmpty()) {
        (confirmation.getResumed() ? resumed : notResumed).incrementAndGet();
        if (!confirmation.getResumed() && confirmation.getEpoch().equals(device.epoch)) {
          unrecovered.addAndGet(Math.max(0, confirmation.getSequence() - device.lastSequence));
        }
        synchronized (resubscribeMicros) {
          resubscribeMicros.recordValue((System.nanoTime() - device.subscribeSentNanos) / 1_000);
        }
      }
      device.epoch = confirmation.getEpoch();
      device.lastSequence = confirmation.getSequence();
    }

    private void record(Message message) {
      long expected = device.lastSequence + 1;
      if (message.getSequence() < expected) {
        repeated.incrementAndGet();
      } else {
        skipped.addAndGet(message.getSequence() - expected);
        device.lastSequence = message.getSequence();
      }
      long now = Micros.now();
      long sent = message.getPayload().size() >= 8 ? intendedSendTime(message.getPayload()) : now;
      if (sent < device.welcomedAtMicros) {
        recovered.incrementAndGet();
        return;
      }
      synchronized (DeviceSwarm.this) {
        if (sent < countFromMicros) {
          return;
        }
        received.incrementAndGet();
        latencyMicros.recordValue(Math.max(0, now - sent));
      }
    }
  }

  /**
   * The first 8 payload bytes, big-endian, read in place: wrapping the payload in a
   * ByteBuffer for it was a third of a worker's CPU at 100,000 messages a second.
   */
  private static long intendedSendTime(com.google.protobuf.ByteString payload) {
    long micros = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      micros = (micros << 8) | (payload.byteAt(i) & 0xff);
    }
    return micros;
  }

  private static void send(Channel channel, ClientFrame frame) {
    ByteBuf bytes = Unpooled.wrappedBuffer(frame.toByteArray());
    channel.writeAndFlush(new BinaryWebSocketFrame(bytes));
  }
}
