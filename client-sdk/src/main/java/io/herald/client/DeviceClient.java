package io.herald.client;

import io.herald.client.impl.WebSocketDeviceClient;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A device's connection to a Herald node over WebSocket: subscribe to topics, publish,
 * and stay connected. Thread-safe.
 *
 * <p>After the first connection succeeds, a lost connection is reopened with backoff (or
 * after the delay a node's {@code disconnect} frame asks for; an attempt the node refuses,
 * because it is full, draining or over its rate of new connections, waits for its
 * {@code Retry-After}, spread, or the next backoff, and one it holds back at that rate
 * just takes longer, up to the connect timeout) and every subscription is
 * made again, resuming where it left off: the messages published meanwhile that the
 * topic still keeps (by default its last 100, for up to 2 minutes) reach the handler
 * first, in order, then the live ones. {@link Listener#onResubscribed} says whether
 * anything was missed. Requests in flight when the connection drops fail with a
 * {@link HeraldException}, and so does a request not answered within
 * {@link Options#requestTimeout()} (its cause a {@link java.util.concurrent.TimeoutException}).
 *
 * <p>Nothing the application gives the client runs on the thread that reads from the node.
 * Message handlers and the listener's calls run one at a time, in the order their frames
 * arrived, on the SDK's handler threads ({@code herald-device-handler-N}) or on the
 * {@linkplain Options.Builder#handlerExecutor executor} the application gives; the requests'
 * futures complete on the SDK's handler threads, and their callbacks run there ({@link
 * #connect}'s completes in turn with the handlers). A handler or a
 * callback may block, and may wait for a request of its own client (publish an
 * acknowledgement and {@code join()} it, say): the reader goes on reading the answer. At most
 * {@link Options#maxPendingMessages()} wait for their handler; at that many the client stops
 * reading until half have been handled, and the node's slow-consumer policy (drop the oldest,
 * or disconnect) takes over meanwhile.
 *
 * <pre>{@code
 * DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder()
 *     .uri(URI.create("ws://127.0.0.1:8081/v1/ws"))
 *     .build()).join();
 * device.subscribe("sensors/room-1", message -> System.out.println(message.sequence())).join();
 * }</pre>
 */
public interface DeviceClient extends AutoCloseable {

  /**
   * Opens a connection; the future completes once the node's welcome has arrived. A node
   * that refuses the upgrade for now (HTTP 503 when it is full or draining, 429 when it
   * admits no more new connections this second) is tried again after the wait its
   * {@code Retry-After} asks for (spread over up to twice it) or the backoff, whichever is
   * longer, on the next of the options' addresses, for as long as it refuses for now (bound
   * the wait with {@link CompletableFuture#orTimeout} and {@link #close()} the client). The
   * future fails if the node refuses for good (HTTP 401 for a token it does not accept),
   * cannot be reached, or refuses at all while {@link Options.Builder#reconnect} is off.
   */
  static CompletableFuture<DeviceClient> connect(Options options) {
    return WebSocketDeviceClient.connect(options);
  }

  /**
   * Subscribes to a topic; completes when the node confirms. Messages published after the
   * confirmation reach {@code handler}. Fails at once when not connected.
   */
  CompletableFuture<Void> subscribe(String topic, Consumer<TopicMessage> handler);

  /**
   * Subscribes, resuming from a point saved earlier (see {@link #resumePoint}), for a device
   * that restarted: the messages after it that the topic still keeps reach {@code handler}
   * first, in order, then the live ones. Completes with {@code true} when nothing was
   * missed, {@code false} when some of them are no longer kept (then only the messages
   * after the confirmation follow). Fails at once when not connected.
   */
  CompletableFuture<Boolean> subscribe(String topic, ResumePoint from, Consumer<TopicMessage> handler);

  /**
   * Where the subscription to {@code topic} has got to, once the node has confirmed it: the
   * last message its handler has run for (saved, it resumes a device that restarts without
   * skipping one still waiting for the handler); empty for a topic not subscribed to.
   */
  Optional<ResumePoint> resumePoint(String topic);

  /** Unsubscribes; completes when the node confirms that no further message will come. */
  CompletableFuture<Void> unsubscribe(String topic);

  /** Publishes and completes with the node's acknowledgement. */
  CompletableFuture<PublishResult> publish(String topic, byte[] payload);

  /**
   * Publishes without asking for an acknowledgement; completes once the frame is written.
   * A refusal (such as {@code RATE_LIMITED}) reaches {@link Listener#onError}.
   */
  CompletableFuture<Void> publishUnacknowledged(String topic, byte[] payload);

  /**
   * Merges {@code fields} (numbers, strings, booleans) into the device's reported state;
   * completes with the reported state's new version. Reports sent over one connection are
   * applied in the order they were sent, each once, also while the device's state moves
   * between nodes (the node sends a report again if it is lost in the move). It fails with {@code UNAVAILABLE} if the
   * device's state did not answer within the node's {@code report-timeout}; sending the same
   * fields again is safe.
   */
  CompletableFuture<Long> reportState(Map<String, ?> fields);

  /** Replaces the device's reported state with {@code fields}; completes with the new version. */
  CompletableFuture<Long> replaceState(Map<String, ?> fields);

  /** Tells the node the device has applied desired state up to {@code version}. */
  CompletableFuture<Void> acknowledgeDesired(long version);

  /** Round trip to the node; completes when its pong arrives. */
  CompletableFuture<Void> ping();

  /** The node's session id for the current connection, if connected. */
  Optional<String> sessionId();

  /** Whether a connection is open and welcomed now. */
  boolean isConnected();

  /**
   * Closes the connection for good; completes when the node has closed it too, or once the
   * connect timeout has passed without its answer (the connection is then dropped).
   */
  CompletableFuture<Void> closeAsync();

  /** Closes the connection for good without waiting for the node. */
  @Override
  void close();

  /** What happens to the connection, for logging and tests. Every method has a no-op default. */
  interface Listener {

    /** A connection was opened and welcomed. */
    default void onConnected(String sessionId, String nodeId) {}

    /**
     * The connection was lost or closed.
     *
     * @param reason the node's reason when it sent one before closing
     * @param message the node's message, or what failed
     * @param willReconnect whether the client will reconnect
     */
    default void onDisconnected(Optional<DisconnectReason> reason, String message, boolean willReconnect) {}

    /**
     * After a reconnect, a subscription was made again; called before the topic's handler gets
     * the messages that follow (the missed ones it resumes with first).
     *
     * @param topic the topic
     * @param resumed true when every message published while the device was away follows
     *     (or the topic had none); false when some are no longer kept (the node that held
     *     them crashed, or the device was away too long): load what the topic describes from
     *     elsewhere if it matters
     */
    default void onResubscribed(String topic, boolean resumed) {}

    /** The node answered a frame that expected no reply with an error (an unacknowledged publish, say). */
    default void onError(ErrorCode code, String message) {}

    /**
     * A backend set this device's desired state (or it is still unacknowledged on
     * connect). Apply it, then call {@link DeviceClient#acknowledgeDesired(long)}.
     */
    default void onDesired(DesiredState desired) {}
  }

  /** How a {@link DeviceClient} connects. Build with {@link #builder()}. */
  final class Options {
    private final List<URI> uris;
    private final String token;
    private final WireFormat format;
    private final boolean reconnect;
    private final Backoff backoff;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final int maxPendingSends;
    private final int maxPendingMessages;
    private final Listener listener;
    private final HttpClient httpClient;
    private final Executor handlerExecutor;

    private Options(Builder builder) {
      this.uris = List.copyOf(builder.uris);
      this.token = builder.token;
      this.format = builder.format;
      this.reconnect = builder.reconnect;
      this.backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
      this.requestTimeout = builder.requestTimeout;
      this.connectTimeout = builder.connectTimeout;
      this.maxPendingSends = builder.maxPendingSends;
      this.maxPendingMessages = builder.maxPendingMessages;
      this.listener = builder.listener;
      this.httpClient = builder.httpClient;
      this.handlerExecutor = builder.handlerExecutor;
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
      return new Builder();
    }

    /** The node's WebSocket address, such as {@code ws://127.0.0.1:8081/v1/ws}. */
    public URI uri() {
      return uris.get(0);
    }

    /**
     * Every node address the device may use, in order: it connects to the first and, each
     * time a connection is lost (a node drains or fails), reconnects to the next one.
     */
    public List<URI> uris() {
      return uris;
    }

    /** The device's token, sent as {@code Authorization: Bearer}, or null when the URI carries it. */
    public String token() {
      return token;
    }

    /** Binary Protobuf frames or JSON text frames. */
    public WireFormat format() {
      return format;
    }

    /** Whether a lost connection is reopened. */
    public boolean reconnect() {
      return reconnect;
    }

    /** The wait between reconnection attempts. */
    public Backoff backoff() {
      return backoff;
    }

    /** How long a request (subscribe, publish, ping) waits for its answer. */
    public Duration requestTimeout() {
      return requestTimeout;
    }

    /** How long opening a connection may take. */
    public Duration connectTimeout() {
      return connectTimeout;
    }

    /** Frames that may wait to be written; one more fails its call at once. */
    public int maxPendingSends() {
      return maxPendingSends;
    }

    /**
     * Messages (and the listener's calls) that may wait for their handler; at this many the
     * client stops reading from the node until half have been handled, answers to requests
     * included.
     */
    public int maxPendingMessages() {
      return maxPendingMessages;
    }

    /** Told of connections, disconnections and unsolicited errors. */
    public Listener listener() {
      return listener;
    }

    /**
     * The HTTP client the WebSocket is opened with; by default one shared by every device
     * client in the process, reading on a few threads ({@code herald-sdk-io-N}, one per core).
     */
    public HttpClient httpClient() {
      return httpClient;
    }

    /** Where handlers and the listener's calls run, or null for the SDK's handler threads. */
    public Executor handlerExecutor() {
      return handlerExecutor;
    }

    /** Builds validated {@link Options}. */
    public static final class Builder {
      private List<URI> uris = List.of(URI.create("ws://127.0.0.1:8081/v1/ws"));
      private String token;
      private WireFormat format = WireFormat.PROTOBUF;
      private boolean reconnect = true;
      private Duration initialBackoff = Duration.ofMillis(200);
      private Duration maxBackoff = Duration.ofSeconds(10);
      private Duration requestTimeout = Duration.ofSeconds(10);
      private Duration connectTimeout = Duration.ofSeconds(5);
      private int maxPendingSends = 1024;
      private int maxPendingMessages = 1024;
      private Listener listener = new Listener() {};
      private HttpClient httpClient;
      private Executor handlerExecutor;

      private Builder() {}

      /**
       * The node's WebSocket address; default {@code ws://127.0.0.1:8081/v1/ws}. Devices use
       * the node's device port (8081 unless configured), or its API port when the node runs
       * {@code herald.edge = pekko-http}.
       */
      public Builder uri(URI uri) {
        this.uris = List.of(Objects.requireNonNull(uri, "uri"));
        return this;
      }

      /**
       * Several nodes' WebSocket addresses: the device connects to the first and moves on to
       * the next one after every lost connection, round the list.
       */
      public Builder uris(List<URI> uris) {
        if (uris.isEmpty()) {
          throw new IllegalArgumentException("uris must name at least one node");
        }
        this.uris = List.copyOf(uris);
        return this;
      }

      /** The signed token (JWT) that names this device; the node refuses connections without one. */
      public Builder token(String token) {
        this.token = Objects.requireNonNull(token, "token");
        return this;
      }

      /** Binary Protobuf (default) or JSON text frames. */
      public Builder format(WireFormat format) {
        this.format = Objects.requireNonNull(format, "format");
        return this;
      }

      /** Whether to reopen a lost connection; default true. */
      public Builder reconnect(boolean reconnect) {
        this.reconnect = reconnect;
        return this;
      }

      /** The first and the longest wait between reconnection attempts; default 200 ms and 10 s. */
      public Builder backoff(Duration initial, Duration max) {
        this.initialBackoff = Objects.requireNonNull(initial, "initial");
        this.maxBackoff = Objects.requireNonNull(max, "max");
        return this;
      }

      /** How long a request waits for its answer; default 10 s. */
      public Builder requestTimeout(Duration requestTimeout) {
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        return this;
      }

      /** How long opening a connection may take; default 5 s. */
      public Builder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        return this;
      }

      /** Frames that may wait to be written; default 1024. */
      public Builder maxPendingSends(int maxPendingSends) {
        this.maxPendingSends = maxPendingSends;
        return this;
      }

      /** Messages that may wait for their handler before the client stops reading; default 1024. */
      public Builder maxPendingMessages(int maxPendingMessages) {
        this.maxPendingMessages = maxPendingMessages;
        return this;
      }

      /** Told of connections, disconnections and unsolicited errors. */
      public Builder listener(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
      }

      /** The HTTP client to open WebSockets with; by default one client shared by all devices. */
      public Builder httpClient(HttpClient httpClient) {
        this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
        return this;
      }

      /**
       * Where this client runs its message handlers and the listener's calls, still one at a
       * time and in order, in turns of a few dozen; by default the SDK's handler threads,
       * shared by every client in the process, which start a thread for each client whose
       * handlers are running at the same moment (a gateway of 1,000 devices all in slow
       * handlers holds 1,000 threads). Give many clients one fixed pool to cap the threads
       * they take: they take turns on it, and a handler that blocks holds one of its threads
       * while the other clients' handlers wait for the rest. Each client has at most one task
       * on the executor at a time, so a pool's queue holds at most one per client. The
       * requests' futures still complete on the SDK's threads: a handler on a pool of one may
       * wait for a request of its own client. A task the executor refuses runs on the SDK's threads.
       * The application shuts the executor down, after closing its clients.
       */
      public Builder handlerExecutor(Executor handlerExecutor) {
        this.handlerExecutor = Objects.requireNonNull(handlerExecutor, "handlerExecutor");
        return this;
      }

      /**
       * The options.
       *
       * @throws IllegalArgumentException if a value is out of range
       */
      public Options build() {
        for (URI uri : uris) {
          String scheme = uri.getScheme();
          if (!"ws".equals(scheme) && !"wss".equals(scheme)) {
            throw new IllegalArgumentException("uri must be ws or wss: " + uri);
          }
        }
        if (maxPendingSends < 1) {
          throw new IllegalArgumentException("maxPendingSends must be positive");
        }
        if (maxPendingMessages < 2) {
          throw new IllegalArgumentException("maxPendingMessages must be at least 2");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()
            || connectTimeout.isNegative() || connectTimeout.isZero()) {
          throw new IllegalArgumentException("timeouts must be positive");
        }
        return new Options(this);
      }
    }
  }
}
