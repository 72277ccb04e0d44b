package io.herald.client.impl;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.client.DeviceClient;
import io.herald.client.HeraldException;
import io.herald.client.PublishResult;
import io.herald.client.ResumePoint;
import io.herald.client.TopicMessage;
import io.herald.protocol.Json;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.AckDesired;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.Disconnect;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.Message;
import io.herald.protocol.v1.Ping;
import io.herald.protocol.v1.Pong;
import io.herald.protocol.v1.Publish;
import io.herald.protocol.v1.ReportState;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.ResumeFrom;
import io.herald.protocol.v1.Subscribe;
import io.herald.protocol.v1.Subscribed;
import io.herald.protocol.v1.Unsubscribe;
import io.herald.protocol.v1.Welcome;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** {@link DeviceClient} over the JDK's WebSocket client. */
public final class WebSocketDeviceClient implements DeviceClient {

  /** One client serves every device in the process (and one timer, {@link SdkTimer}). */
  private static final class Shared {
    static final HttpClient HTTP = HttpClient.newBuilder().executor(IoThreads.EXECUTOR).build();
  }

  /** One open WebSocket; a reconnect makes a new one and stale callbacks are ignored. */
  private record Session(WebSocket socket, FrameSender sender, Welcome welcome) {}

  /**
   * A subscription's handler, and where in its topic it has got to: the last message received,
   * to resubscribe from after a reconnect (those still queued for the handler are handled all
   * the same), and the last one handled, for a device that saves where to resume after a
   * restart. Null until the node names the topic's epoch; one value each, so epoch and
   * sequence always match.
   */
  private static final class Subscription {
    final Consumer<TopicMessage> handler;
    volatile ResumePoint received;
    volatile ResumePoint handled;

    Subscription(Consumer<TopicMessage> handler, ResumePoint received, ResumePoint handled) {
      this.handler = handler;
      this.received = received;
      this.handled = handled;
    }

    ClientFrame.Builder subscribeFrame(String topic) {
      Subscribe.Builder subscribe = Subscribe.newBuilder().setTopic(topic);
      ResumePoint from = received;
      if (from != null) {
        subscribe.setResumeFrom(ResumeFrom.newBuilder().setEpoch(from.epoch()).setSequence(from.sequence()));
      }
      return ClientFrame.newBuilder().setSubscribe(subscribe);
    }
  }

  private final Options options;
  private final HttpClient http;
  private final AtomicLong requestIds = new AtomicLong();
  private final Map<Long, CompletableFuture<ServerFrame>> pending = new ConcurrentHashMap<>();
  private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
  /** The topics being subscribed to again after a reconnect, by request id. */
  private final Map<Long, String> resubscribing = new ConcurrentHashMap<>();
  private final HandlerQueue handlers;
  private final CompletableFuture<DeviceClient> firstConnection = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile Session session;
  /** Set at the first welcome; the future that says so completes a moment later, on another thread. */
  private volatile boolean everConnected;
  private volatile boolean closing;
  private volatile long lastHeardNanos = System.nanoTime();
  private volatile ScheduledFuture<?> heartbeat;
  /** The node's disconnect frame, kept until its close arrives. */
  private volatile Disconnect lastDisconnect;
  private int reconnectAttempt;
  /** Which of the options' node addresses the next connection uses. */
  private int nextUri;

  private WebSocketDeviceClient(Options options) {
    this.options = options;
    this.http = options.httpClient() != null ? options.httpClient() : Shared.HTTP;
    this.handlers = new HandlerQueue(options.maxPendingMessages(),
        options.handlerExecutor() != null ? options.handlerExecutor() : CallbackThreads::execute);
  }

  public static CompletableFuture<DeviceClient> connect(Options options) {
    WebSocketDeviceClient client = new WebSocketDeviceClient(options);
    client.open();
    return client.firstConnection;
  }

  @Override
  public CompletableFuture<Void> subscribe(String topic, Consumer<TopicMessage> handler) {
    // Subscribing again to a topic the connection holds changes the handler, not where it resumes.
    Subscription previous = subscriptions.get(topic);
    Subscription subscription = previous == null
        ? new Subscription(handler, null, null)
        : new Subscription(handler, previous.received, previous.handled);
    subscriptions.put(topic, subscription);
    return subscribe(topic, subscription, ClientFrame.newBuilder().setSubscribe(Subscribe.newBuilder().setTopic(topic)))
        .thenApply(resumed -> null);
  }

  @Override
  public CompletableFuture<Boolean> subscribe(String topic, ResumePoint from, Consumer<TopicMessage> handler) {
    Subscription subscription = new Subscription(handler, from, from);
    subscriptions.put(topic, subscription);
    return subscribe(topic, subscription, subscription.subscribeFrame(topic));
  }

  private CompletableFuture<Boolean> subscribe(String topic, Subscription subscription, ClientFrame.Builder frame) {
    return request(frame)
        .whenComplete((answer, failure) -> {
          if (failure != null) {
            subscriptions.remove(topic, subscription);
          }
        })
        .thenApply(answer -> answer.getSubscribed().getResumed());
  }

  @Override
  public Optional<ResumePoint> resumePoint(String topic) {
    Subscription subscription = subscriptions.get(topic);
    return subscription == null ? Optional.empty() : Optional.ofNullable(subscription.handled);
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String topic) {
    return request(ClientFrame.newBuilder().setUnsubscribe(Unsubscribe.newBuilder().setTopic(topic)))
        .thenApply(frame -> {
          subscriptions.remove(topic);
          return null;
        });
  }

  @Override
  public CompletableFuture<PublishResult> publish(String topic, byte[] payload) {
    return request(ClientFrame.newBuilder().setPublish(publishOf(topic, payload)))
        .thenApply(frame -> new PublishResult(frame.getPublished().getTopic(), frame.getPublished().getSequence()));
  }

  @Override
  public CompletableFuture<Void> publishUnacknowledged(String topic, byte[] payload) {
    return send(ClientFrame.newBuilder().setPublish(publishOf(topic, payload)).build());
  }

  @Override
  public CompletableFuture<Long> reportState(Map<String, ?> fields) {
    return report(fields, false);
  }

  @Override
  public CompletableFuture<Long> replaceState(Map<String, ?> fields) {
    return report(fields, true);
  }

  private CompletableFuture<Long> report(Map<String, ?> fields, boolean replace) {
    ReportState.Builder report;
    try {
      report = ReportState.newBuilder().putAllFields(StateFields.toWire(fields)).setReplace(replace);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return request(ClientFrame.newBuilder().setReportState(report))
        .thenApply(frame -> frame.getStateAccepted().getVersion());
  }

  @Override
  public CompletableFuture<Void> acknowledgeDesired(long version) {
    return send(ClientFrame.newBuilder().setAckDesired(AckDesired.newBuilder().setVersion(version)).build());
  }

  @Override
  public CompletableFuture<Void> ping() {
    return request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).thenApply(frame -> null);
  }

  @Override
  public Optional<String> sessionId() {
    Session current = session;
    return current == null ? Optional.empty() : Optional.of(current.welcome().getSessionId());
  }

  @Override
  public boolean isConnected() {
    return session != null;
  }

  @Override
  public CompletableFuture<Void> closeAsync() {
    closing = true;
    Session current = session;
    if (current == null) {
      closed.complete(null);
    } else {
      current.sender().sendClose();
      // A node that does not answer the close (or whose answer waits unread behind handlers
      // that are behind) is not waited for long; aborting calls no listener, so this ends it.
      SdkTimer.schedule(() -> {
        current.socket().abort();
        Session still = session;
        if (still != null && still.socket() == current.socket()) {
          connectionLost(Optional.empty(), "the node did not answer the close within "
              + options.connectTimeout().toMillis() + " ms", current.socket());
        }
      }, options.connectTimeout());
    }
    return closed;
  }

  @Override
  public void close() {
    closeAsync();
  }

  // ---- connection lifecycle ----

  private void open() {
    WebSocket.Builder builder = http.newWebSocketBuilder()
        .subprotocols(options.format().subprotocol())
        .connectTimeout(options.connectTimeout());
    if (options.token() != null) {
      builder.header("Authorization", "Bearer " + options.token());
    }
    URI target;
    synchronized (this) {
      target = options.uris().get(nextUri % options.uris().size());
    }
    builder.buildAsync(target, new SocketListener())
        .whenComplete((socket, failure) -> {
          if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
            String why = cause instanceof WebSocketHandshakeException refused
                ? "the node refused the upgrade with HTTP " + refused.getResponse().statusCode()
                : "could not connect: " + cause.getMessage();
            connectionLost(Optional.empty(), refusedForNow(cause), why, null);
          }
        });
  }

  /**
   * A node that is full or draining (503) or over its rate of new connections (429) refuses
   * the upgrade for now: the wait it asks for (its {@code Retry-After}, spread), or zero.
   */
  private static Optional<Duration> refusedForNow(Throwable failure) {
    if (failure instanceof WebSocketHandshakeException refused) {
      int status = refused.getResponse().statusCode();
      if (status == 429 || status == 503) {
        return Optional.of(RetryAfter.of(refused.getResponse()).orElse(Duration.ZERO));
      }
    }
    return Optional.empty();
  }

  private void welcomed(WebSocket socket, Welcome welcome) {
    Session opened = new Session(socket, new FrameSender(socket, options.maxPendingSends()), welcome);
    session = opened;
    synchronized (this) {
      reconnectAttempt = 0;
    }
    startHeartbeat(welcome);
    handlers.add(() -> options.listener().onConnected(welcome.getSessionId(), welcome.getNodeId()));
    subscriptions.forEach((topic, subscription) -> {
      long id = requestIds.incrementAndGet();
      resubscribing.put(id, topic);
      request(id, subscription.subscribeFrame(topic));
    });
    everConnected = true;
    // Queued with the handlers, so that its callbacks run before any handler of what follows.
    handlers.add(() -> firstConnection.complete(this));
  }

  private void connectionLost(Optional<Disconnect> disconnect, String message, WebSocket socket) {
    connectionLost(disconnect, Optional.empty(), message, socket);
  }

  /** {@code refusedForNow}: the node refused this attempt and asked to come back after that wait. */
  private void connectionLost(Optional<Disconnect> disconnect, Optional<Duration> refusedForNow, String message,
      WebSocket socket) {
    Session lost = session;
    if (socket != null && lost != null && lost.socket() != socket) {
      return; // a callback of an earlier connection
    }
    session = null;
    ScheduledFuture<?> beat = heartbeat;
    if (beat != null) {
      beat.cancel(false);
    }
    HeraldException failure = new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED, "connection lost: " + message);
    List<CompletableFuture<ServerFrame>> unanswered = List.copyOf(pending.values());
    pending.clear();
    resubscribing.clear();
    CallbackThreads.execute(() -> unanswered.forEach(request -> request.completeExceptionally(failure)));

    // A node that refused for now is tried again, also before the first welcome.
    boolean willReconnect = options.reconnect() && !closing && (everConnected || refusedForNow.isPresent());
    handlers.add(() -> options.listener().onDisconnected(disconnect.map(Disconnect::getReason), message,
        willReconnect));
    if (!everConnected && !willReconnect) {
      CallbackThreads.execute(() -> firstConnection.completeExceptionally(failure));
    }
    if (willReconnect) {
      Duration asked = refusedForNow.orElse(
          Duration.ofMillis(disconnect.map(Disconnect::getReconnectAfterMs).orElse(0)));
      scheduleReconnect(asked);
    } else {
      CallbackThreads.execute(() -> closed.complete(null));
    }
  }

  /** Reconnects after the backoff, or after {@code asked} if the node asked for longer. */
  private void scheduleReconnect(Duration asked) {
    Duration wait;
    synchronized (this) {
      wait = options.backoff().delay(reconnectAttempt++);
      nextUri++;
    }
    if (asked.compareTo(wait) > 0) {
      wait = asked;
    }
    SdkTimer.schedule(() -> {
      if (!closing) {
        open();
      }
    }, wait);
  }

  /** Pings a quiet node and drops a connection silent past the node's heartbeat timeout. */
  private void startHeartbeat(Welcome welcome) {
    long intervalMillis = Math.max(100, welcome.getHeartbeatIntervalMs());
    long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(intervalMillis * 2, welcome.getHeartbeatTimeoutMs()));
    heartbeat = SdkTimer.scheduleAtFixedRate(() -> {
      Session current = session;
      if (current == null) {
        return;
      }
      long silentNanos = System.nanoTime() - lastHeardNanos;
      if (silentNanos > timeoutNanos && !handlers.readingPaused()) {
        current.socket().abort();
        connectionLost(Optional.empty(), "node silent past the heartbeat timeout", current.socket());
      } else if (silentNanos > TimeUnit.MILLISECONDS.toNanos(intervalMillis)) {
        send(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance()).build());
      }
    }, Duration.ofMillis(intervalMillis / 2));
  }

  // ---- frames ----

  private CompletableFuture<ServerFrame> request(ClientFrame.Builder frame) {
    return request(requestIds.incrementAndGet(), frame);
  }

  private CompletableFuture<ServerFrame> request(long id, ClientFrame.Builder frame) {
    CompletableFuture<ServerFrame> answer = new CompletableFuture<>();
    pending.put(id, answer);
    // On the SDK's timer rather than orTimeout: that completes on the JDK's one delay thread,
    // shared by the whole process, where a callback that blocks would stall every other timeout.
    Duration timeout = options.requestTimeout();
    ScheduledFuture<?> deadline = SdkTimer.schedule(() -> {
      if (!answer.isDone()) {
        TimeoutException late = new TimeoutException("no answer within " + timeout.toMillis() + " ms");
        CallbackThreads.execute(() -> answer.completeExceptionally(
            new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED, late.getMessage(), late)));
      }
    }, timeout);
    answer.whenComplete((ignored, failure) -> {
      deadline.cancel(false);
      pending.remove(id);
      resubscribing.remove(id);
    });
    send(frame.setRequestId(id).build()).whenComplete((ignored, failure) -> {
      if (failure != null) {
        CallbackThreads.execute(() -> answer.completeExceptionally(failure));
      }
    });
    return answer;
  }

  private CompletableFuture<Void> send(ClientFrame frame) {
    Session current = session;
    if (current == null) {
      return CompletableFuture.failedFuture(new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED, "not connected"));
    }
    return options.format() == WireFormat.PROTOBUF
        ? current.sender().sendBinary(frame.toByteArray())
        : current.sender().sendText(Json.print(frame));
  }

  private void handle(WebSocket socket, ServerFrame frame) {
    lastHeardNanos = System.nanoTime();
    switch (frame.getKindCase()) {
      case WELCOME -> welcomed(socket, frame.getWelcome());
      case MESSAGE -> deliver(frame.getMessage());
      case BATCH -> frame.getBatch().getMessagesList().forEach(this::deliver);
      case SUBSCRIBED -> {
        subscribed(frame.getSubscribed());
        String resubscribed = resubscribing.remove(frame.getRequestId());
        if (resubscribed != null) {
          // Queued here, so that the listener hears of it before the handler gets what follows.
          boolean resumed = frame.getSubscribed().getResumed();
          handlers.add(() -> options.listener().onResubscribed(resubscribed, resumed));
        }
        answer(frame);
      }
      case UNSUBSCRIBED, PUBLISHED, PONG, STATE_ACCEPTED -> answer(frame);
      case DESIRED -> {
        var desired = new io.herald.client.DesiredState(frame.getDesired().getVersion(),
            StateFields.fromWire(frame.getDesired().getDesiredMap()), StateFields.fromWire(frame.getDesired().getDeltaMap()));
        handlers.add(() -> options.listener().onDesired(desired));
      }
      case ERROR -> {
        CompletableFuture<ServerFrame> request = frame.getRequestId() == 0 ? null : pending.remove(frame.getRequestId());
        HeraldException failure = new HeraldException(frame.getError().getCode(), frame.getError().getMessage());
        if (request != null) {
          CallbackThreads.execute(() -> request.completeExceptionally(failure));
        } else {
          handlers.add(() -> options.listener().onError(frame.getError().getCode(), frame.getError().getMessage()));
        }
      }
      case PING -> send(ClientFrame.newBuilder().setPong(Pong.getDefaultInstance()).build());
      case DISCONNECT -> lastDisconnect = frame.getDisconnect();
      case KIND_NOT_SET -> {
        // A newer node's frame kind: ignore it.
      }
    }
  }

  private void answer(ServerFrame frame) {
    CompletableFuture<ServerFrame> request = pending.remove(frame.getRequestId());
    if (request != null) {
      CallbackThreads.execute(() -> request.complete(frame));
    }
  }

  /** Messages after the confirmation's sequence follow it: resume from there if none arrives. */
  private void subscribed(Subscribed subscribed) {
    Subscription subscription = subscriptions.get(subscribed.getTopic());
    // A subscription the connection already held is confirmed again without an epoch.
    if (subscription != null && !subscribed.getEpoch().isEmpty()) {
      ResumePoint confirmed = new ResumePoint(subscribed.getEpoch(), subscribed.getSequence());
      subscription.received = confirmed;
      // Handled once the messages queued before the confirmation are.
      handlers.add(() -> subscription.handled = confirmed);
    }
  }

  private void deliver(Message message) {
    Subscription subscription = subscriptions.get(message.getTopic());
    if (subscription == null) {
      return;
    }
    ResumePoint before = subscription.received;
    ResumePoint reached = before == null ? null : new ResumePoint(before.epoch(), message.getSequence());
    subscription.received = reached;
    TopicMessage delivered = new TopicMessage(message.getTopic(), message.getSequence(),
        message.getPayload().toByteArray(),
        Instant.ofEpochSecond(message.getPublishTime().getSeconds(), message.getPublishTime().getNanos()));
    handlers.add(() -> {
      try {
        subscription.handler.accept(delivered);
      } finally {
        if (reached != null) {
          subscription.handled = reached;
        }
      }
    });
  }

  private static Publish publishOf(String topic, byte[] payload) {
    return Publish.newBuilder().setTopic(topic).setPayload(ByteString.copyFrom(payload)).build();
  }

  private void unreadable(Exception failure) {
    String message = "node sent an unreadable frame: " + failure.getMessage();
    handlers.add(() -> options.listener().onError(ErrorCode.MALFORMED_FRAME, message));
  }

  /** Reassembles frames from the JDK's partial messages and hands them over one at a time. */
  private final class SocketListener implements WebSocket.Listener {
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();

    @Override
    public void onOpen(WebSocket socket) {
      socket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      binary.writeBytes(chunk);
      if (last) {
        byte[] frame = binary.toByteArray();
        binary.reset();
        try {
          handle(socket, ServerFrame.parseFrom(frame));
        } catch (InvalidProtocolBufferException e) {
          unreadable(e);
        }
      }
      handlers.readNext(socket);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        try {
          handle(socket, Json.parse(frame, ServerFrame.newBuilder()).build());
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          unreadable(e);
        }
      }
      handlers.readNext(socket);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
      Disconnect disconnect = lastDisconnect;
      lastDisconnect = null;
      connectionLost(Optional.ofNullable(disconnect), "closed by node (" + statusCode + " " + reason + ")", socket);
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      Disconnect disconnect = lastDisconnect;
      lastDisconnect = null;
      connectionLost(Optional.ofNullable(disconnect), String.valueOf(error.getMessage()), socket);
    }
  }
}
