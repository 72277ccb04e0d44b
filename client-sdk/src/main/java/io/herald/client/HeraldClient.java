package io.herald.client;

import io.herald.client.impl.HttpHeraldClient;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The backend's client for a Herald node's HTTP API. Thread-safe; share one per process.
 *
 * <p>Every call returns at once with a future. A call whose connection fails, or that the
 * node answers with 503, is retried with backoff (honouring {@code Retry-After}) up to
 * {@link Options#maxRetries()} times; the future then fails with a {@link HeraldException}
 * ({@link HeraldApiException.UnavailableException} for 503). 4xx answers fail at once with
 * the {@link HeraldApiException} subclass of their status. A publish retried after a lost
 * connection, or after a 503 for a topic whose home did not answer in time (the first may
 * still be on its way), may be delivered twice: publishes are at-least-once.
 *
 * <p>At most {@link Options#maxConcurrentRequests()} requests are on the wire at once (one
 * connection each); later calls wait their turn in a queue of at most
 * {@link Options#maxQueuedRequests()}, each for at most {@link Options#requestTimeout()}.
 * A call that finds the queue full, or waits longer, fails without retrying with a
 * {@link HeraldException} of code {@link io.herald.protocol.v1.ErrorCode#RATE_LIMITED}.
 *
 * <p>Requests are sent on the client's own threads ({@code herald-client-sender-N}), and the
 * futures mostly complete on them. A request's place among the
 * {@link Options#maxConcurrentRequests()} is freed before its callbacks run, so a callback
 * that blocks, even one that waits for another call of this client, stalls no other call:
 * the client starts another thread for the next request instead (about twice
 * {@code maxConcurrentRequests} threads at most when callbacks return promptly, one more for
 * each callback still blocked). Hand long work to an executor of your own
 * ({@code thenApplyAsync(fn, executor)}) all the same. Deadlines and backoffs run on one
 * timer thread shared by every client in the process, and the HTTP client's own work on a
 * few shared threads ({@code herald-sdk-io-N}, one per core).
 *
 * <pre>{@code
 * HeraldClient herald = HeraldClient.create(HeraldClient.Options.builder()
 *     .baseUri(URI.create("http://127.0.0.1:8080"))
 *     .build());
 * herald.publish("sensors/room-1", payload).thenAccept(r -> log.info("sequence {}", r.sequence()));
 * }</pre>
 */
public interface HeraldClient extends AutoCloseable {

  /** A client with these options. */
  static HeraldClient create(Options options) {
    return new HttpHeraldClient(options);
  }

  /** Publishes {@code payload} to every subscriber of {@code topic}. */
  CompletableFuture<PublishResult> publish(String topic, byte[] payload);

  /** Publishes one {@code payload} to each of {@code topics}; invalid topics are reported, not fatal. */
  CompletableFuture<BroadcastResult> broadcast(Collection<String> topics, byte[] payload);

  /** Reads a device (scope {@code read-state}); fails with a NotFoundException for a device never seen. */
  CompletableFuture<Device> getDevice(String deviceId);

  /**
   * Replaces a device's desired state (scope {@code command}); the node pushes it to the
   * device if connected and again on every connect until acknowledged.
   *
   * @param expectedVersion when present, applied only if the desired version is still this;
   *     otherwise the future fails with a {@link HeraldApiException.ConflictException}
   */
  CompletableFuture<DesiredResult> setDesired(String deviceId, Map<String, ?> desired, OptionalLong expectedVersion);

  /**
   * Replaces the desired state of many devices in one request (scope {@code command}),
   * each as {@link #setDesired} would without an expected version. One device's refusal does
   * not fail the others: each has its own outcome. A node takes at most
   * {@code herald.api.max-batch-devices} devices (1,000 unless configured) per call; more,
   * or none, fails the future with a {@link HeraldApiException.InvalidRequestException}.
   *
   * @param desiredByDevice each device's new desired state, by device id; iteration order is
   *     the order of the outcomes
   */
  CompletableFuture<DesiredBatchResult> setDesiredBatch(Map<String, ? extends Map<String, ?>> desiredByDevice);

  /**
   * As {@link #setDesiredBatch(Map)}, with an expected version per device where one is
   * given: a device whose desired version has moved on is refused with
   * {@code VERSION_CONFLICT} and its current version, and the others are still applied.
   *
   * @param changes one per device, each device at most once; their order is the order of
   *     the outcomes
   */
  CompletableFuture<DesiredBatchResult> setDesiredBatch(List<DesiredChange> changes);

  /** Reads a group's live aggregates (scope {@code read-state}). */
  CompletableFuture<GroupAggregate> getGroup(String groupId);

  /**
   * Asks every member of a group for its state (scope {@code read-state}), a page after
   * another, in device id order; slow members are marked timed out. For a large group, walk
   * it with {@link #getGroupDevicesPage} instead and hold one page at a time.
   */
  CompletableFuture<List<GroupMember>> getGroupDevices(String groupId);

  /**
   * Asks one page of a group's members for their state (scope {@code read-state}).
   *
   * @param after the {@link GroupDevicesPage#nextAfter()} of the previous page, or {@code ""}
   *     for the first
   * @param limit most members in the page, 1 to the node's {@code herald.group.query-page-size}
   *     (1000 unless configured); a larger one fails with {@code INVALID_REQUEST}
   */
  CompletableFuture<GroupDevicesPage> getGroupDevicesPage(String groupId, String after, int limit);

  /**
   * Stops the client's threads once the requests on the wire are answered; calls made after,
   * and calls still queued, fail at once.
   */
  @Override
  void close();

  /** How a {@link HeraldClient} reaches a node and retries. Build with {@link #builder()}. */
  final class Options {
    private final URI baseUri;
    private final String apiKey;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final int maxRetries;
    private final Backoff backoff;
    private final int maxConcurrentRequests;
    private final int maxQueuedRequests;

    private Options(Builder builder) {
      this.baseUri = builder.baseUri;
      this.apiKey = builder.apiKey;
      this.requestTimeout = builder.requestTimeout;
      this.connectTimeout = builder.connectTimeout;
      this.maxRetries = builder.maxRetries;
      this.backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
      this.maxConcurrentRequests = builder.maxConcurrentRequests;
      this.maxQueuedRequests = builder.maxQueuedRequests;
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
      return new Builder();
    }

    /** The node's HTTP address, such as {@code http://127.0.0.1:8080}. */
    public URI baseUri() {
      return baseUri;
    }

    /** The API key sent as {@code Authorization: Bearer}, or null for none. */
    public String apiKey() {
      return apiKey;
    }

    /** How long one attempt may take on the wire, and how long a call may wait for a connection. */
    public Duration requestTimeout() {
      return requestTimeout;
    }

    /** How long opening a connection may take. */
    public Duration connectTimeout() {
      return connectTimeout;
    }

    /** Retries after the first attempt for connection failures and 503 answers. */
    public int maxRetries() {
      return maxRetries;
    }

    /** The wait between retries. */
    public Backoff backoff() {
      return backoff;
    }

    /** Requests on the wire at once, each on its own connection and sender thread. */
    public int maxConcurrentRequests() {
      return maxConcurrentRequests;
    }

    /** Requests that may wait for one of those (each at most {@link #requestTimeout()}); beyond this a call fails at once. */
    public int maxQueuedRequests() {
      return maxQueuedRequests;
    }

    /** Builds validated {@link Options}. */
    public static final class Builder {
      private URI baseUri = URI.create("http://127.0.0.1:8080");
      private String apiKey;
      private Duration requestTimeout = Duration.ofSeconds(10);
      private Duration connectTimeout = Duration.ofSeconds(5);
      private int maxRetries = 5;
      private Duration initialBackoff = Duration.ofMillis(100);
      private Duration maxBackoff = Duration.ofSeconds(5);
      private int maxConcurrentRequests = 16;
      private int maxQueuedRequests = 10_000;

      private Builder() {}

      /** The node's HTTP address; default {@code http://127.0.0.1:8080}. */
      public Builder baseUri(URI baseUri) {
        this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
        return this;
      }

      /** The API key the node issued to this backend; its scopes decide what the client may do. */
      public Builder apiKey(String apiKey) {
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        return this;
      }

      /** How long one attempt may take; default 10 s. */
      public Builder requestTimeout(Duration requestTimeout) {
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        return this;
      }

      /** How long opening a connection may take; default 5 s. */
      public Builder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        return this;
      }

      /** Retries for connection failures and 503 answers; default 5, 0 disables retrying. */
      public Builder maxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
        return this;
      }

      /** The first and the longest wait between retries; default 100 ms and 5 s. */
      public Builder backoff(Duration initial, Duration max) {
        this.initialBackoff = Objects.requireNonNull(initial, "initial");
        this.maxBackoff = Objects.requireNonNull(max, "max");
        return this;
      }

      /** Requests on the wire at once, one connection and one sender thread each; default 16. */
      public Builder maxConcurrentRequests(int maxConcurrentRequests) {
        this.maxConcurrentRequests = maxConcurrentRequests;
        return this;
      }

      /** Requests that may wait for a free connection, first come first served; default 10,000. */
      public Builder maxQueuedRequests(int maxQueuedRequests) {
        this.maxQueuedRequests = maxQueuedRequests;
        return this;
      }

      /**
       * The options.
       *
       * @throws IllegalArgumentException if a value is out of range
       */
      public Options build() {
        String scheme = baseUri.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
          throw new IllegalArgumentException("baseUri must be http or https: " + baseUri);
        }
        if (maxRetries < 0) {
          throw new IllegalArgumentException("maxRetries must not be negative");
        }
        if (maxConcurrentRequests < 1) {
          throw new IllegalArgumentException("maxConcurrentRequests must be at least 1");
        }
        if (maxQueuedRequests < 0) {
          throw new IllegalArgumentException("maxQueuedRequests must not be negative");
        }
        requirePositive(requestTimeout, "requestTimeout");
        requirePositive(connectTimeout, "connectTimeout");
        return new Options(this);
      }
    }
  }

  private static void requirePositive(Duration duration, String name) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }
}
