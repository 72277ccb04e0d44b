package io.herald.load;

import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.it.support.NodeProcess;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.Message;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.Subscribe;
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
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Many device connections on one Netty event loop: no thread and no stream per
 * connection. Each device connects from a given source address with its own token,
 * optionally subscribes to one of {@code topics} topics, answers heartbeats, and records for every message
 * the latency from the intended send time its payload carries.
 */
final class DeviceSwarm implements AutoCloseable {

  /** Native epoll where Linux has it, as the node's edge uses: it cost the workers less CPU than NIO. */
  private static final boolean EPOLL = Epoll.isAvailable();

  private final EventLoopGroup loop = EPOLL ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
  private final URI target;
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
  private final AtomicLong stateAccepted = new AtomicLong();
  private final AtomicLong stateRefused = new AtomicLong();
  private final java.util.List<Channel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
  private long opened;

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

  /** Opens {@code count} more connections, a batch at a time; returns when all have answered or failed. */
  void open(int count) throws InterruptedException {
    int batch = 200;
    for (int done = 0; done < count; done += batch) {
      int size = Math.min(batch, count - done);
      CountDownLatch answered = new CountDownLatch(size);
      for (int i = 0; i < size; i++) {
        long index = opened++;
        connect(devicePrefix + index, topics == 0 ? null : topicOf(index, topics), answered);
      }
      answered.await(30, TimeUnit.SECONDS);
    }
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

  private void connect(String deviceId, String topic, CountDownLatch answered) {
    String group = "g" + Math.floorMod(deviceId.hashCode(), Math.max(1, groups));
    URI uri = URI.create(target + "?token=" + NodeProcess.token(new io.herald.node.security.DeviceIdentity(
        deviceId, groups > 0 ? java.util.List.of(group) : java.util.List.of(), java.util.Optional.empty(),
        java.util.Optional.empty())));
    var handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13,
        WireFormat.PROTOBUF.subprotocol(), false, new DefaultHttpHeaders(), 1 << 20);
    new Bootstrap()
        .group(loop)
        .channel(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                new WebSocketClientProtocolHandler(handshaker), new DeviceHandler(topic, answered));
          }
        })
        .connect(new InetSocketAddress(target.getHost(), target.getPort()), new InetSocketAddress(sourceAddress, 0))
        .addListener(future -> {
          if (!future.isSuccess()) {
            failed.incrementAndGet();
            answered.countDown();
          }
        });
  }

  /** One device: subscribes (to its topic, if any) once welcomed, answers pings, records messages. */
  private final class DeviceHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final String topic;
    private final CountDownLatch answered;
    private boolean counted;

    DeviceHandler(String topic, CountDownLatch answered) {
      this.topic = topic;
      this.answered = answered;
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
          channels.add(context.channel());
          if (topic == null) {
            markAnswered();
          } else {
            send(context.channel(), ClientFrame.newBuilder().setRequestId(1)
                .setSubscribe(Subscribe.newBuilder().setTopic(topic)).build());
          }
        }
        case SUBSCRIBED -> {
          subscribed.incrementAndGet();
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
      failed.incrementAndGet();
      markAnswered();
      context.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      channels.remove(context.channel());
      markAnswered();
    }

    private void markAnswered() {
      if (!counted) {
        counted = true;
        answered.countDown();
      }
    }

    private void record(Message message) {
      long now = Micros.now();
      long sent = message.getPayload().size() >= 8 ? intendedSendTime(message.getPayload()) : now;
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
