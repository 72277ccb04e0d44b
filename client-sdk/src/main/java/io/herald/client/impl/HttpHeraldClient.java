package io.herald.client.impl;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.herald.client.BroadcastResult;
import io.herald.client.DesiredBatchResult;
import io.herald.client.DesiredChange;
import io.herald.client.DesiredResult;
import io.herald.client.Device;
import io.herald.client.GroupAggregate;
import io.herald.client.GroupDevicesPage;
import io.herald.client.GroupMember;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.client.HeraldException;
import io.herald.client.PublishResult;
import io.herald.protocol.v1.BroadcastRequest;
import io.herald.protocol.v1.BroadcastResponse;
import io.herald.protocol.v1.DesiredBatchRequest;
import io.herald.protocol.v1.DesiredBatchResponse;
import io.herald.protocol.v1.DeviceDesired;
import io.herald.protocol.v1.DeviceDesiredResult;
import io.herald.protocol.v1.DeviceView;
import io.herald.protocol.v1.GroupAggregateView;
import io.herald.protocol.v1.GroupDevicesView;
import io.herald.protocol.v1.SetDesiredRequest;
import io.herald.protocol.v1.SetDesiredResponse;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ErrorResponse;
import io.herald.protocol.v1.PublishRequest;
import io.herald.protocol.v1.PublishResponse;
import io.herald.protocol.v1.TopicResult;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** {@link HeraldClient} over the JDK's HTTP client with Protobuf bodies. */
public final class HttpHeraldClient implements HeraldClient {

  private static final String PROTOBUF = "application/x-protobuf";

  private final Options options;
  private final HttpClient http;
  private final RequestLimiter limiter;
  /**
   * The threads that send, each with the JDK client's blocking {@code send}, and on which the
   * answers complete. The limiter lets at most {@code maxConcurrentRequests} sends run at once
   * and frees a request's slot before its callbacks run, so a callback that blocks (even one
   * that waits for another call of this client) holds a thread but not a slot: a send that
   * finds every thread busy starts a new one rather than wait behind it. With callbacks that
   * return, the pool stays under about twice {@code maxConcurrentRequests} (a thread may still
   * be running its callbacks while its slot's next request starts on another). The JDK's {@code sendAsync} would hand
   * every answer on to {@code CompletableFuture}'s default executor, which on machines of two
   * cores or fewer starts a new thread for each.
   */
  private final ExecutorService senders;

  public HttpHeraldClient(Options options) {
    this.options = options;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(options.connectTimeout())
        .executor(IoThreads.EXECUTOR)
        .build();
    AtomicInteger senderCount = new AtomicInteger();
    // No queue: the limiter bounds what is sent, and a task never waits behind a blocked callback.
    // Idle senders end after a minute, so a client dropped without close() leaves no threads.
    this.senders = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
        runnable -> {
          Thread thread = new Thread(runnable, "herald-client-sender-" + senderCount.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    // A request that gives up in the queue fails on a sender, as the answered ones complete.
    this.limiter = new RequestLimiter(options.maxConcurrentRequests(), options.maxQueuedRequests(),
        options.requestTimeout(), task -> CallbackThreads.executeOn(senders, task));
  }

  @Override
  public CompletableFuture<PublishResult> publish(String topic, byte[] payload) {
    PublishRequest body = PublishRequest.newBuilder().setPayload(ByteString.copyFrom(payload)).build();
    return post("/v1/topics/" + encodePath(topic) + "/messages", body, PublishResponse::parseFrom)
        .thenApply(response -> new PublishResult(response.getTopic(), response.getSequence()));
  }

  @Override
  public CompletableFuture<BroadcastResult> broadcast(Collection<String> topics, byte[] payload) {
    BroadcastRequest body = BroadcastRequest.newBuilder()
        .addAllTopics(topics)
        .setPayload(ByteString.copyFrom(payload))
        .build();
    return post("/v1/broadcast", body, BroadcastResponse::parseFrom).thenApply(HttpHeraldClient::toResult);
  }

  @Override
  public CompletableFuture<Device> getDevice(String deviceId) {
    return send("GET", "/v1/devices/" + encodePath(deviceId), null, DeviceView::parseFrom)
        .thenApply(HttpHeraldClient::toDevice);
  }

  @Override
  public CompletableFuture<GroupAggregate> getGroup(String groupId) {
    return send("GET", "/v1/groups/" + encodePath(groupId), null, GroupAggregateView::parseFrom)
        .thenApply(view -> {
          Map<String, GroupAggregate.FieldStats> fields = new java.util.TreeMap<>();
          view.getFieldsMap().forEach((name, stats) -> fields.put(name, new GroupAggregate.FieldStats(
              stats.getCount(), stats.getSum(), stats.getMin(), stats.getMax(), stats.getMean())));
          return new GroupAggregate(view.getGroupId(), view.getMembers(), view.getOnline(), fields);
        });
  }

  @Override
  public CompletableFuture<List<GroupMember>> getGroupDevices(String groupId) {
    return remainingMembers(groupId, "", new ArrayList<>());
  }

  private CompletableFuture<List<GroupMember>> remainingMembers(String groupId, String after, List<GroupMember> sofar) {
    return devicesPage(groupId, "?after=" + encodeQuery(after)).thenCompose(page -> {
      sofar.addAll(page.members());
      return page.nextAfter().isPresent()
          ? remainingMembers(groupId, page.nextAfter().get(), sofar)
          : CompletableFuture.completedFuture(List.copyOf(sofar));
    });
  }

  @Override
  public CompletableFuture<GroupDevicesPage> getGroupDevicesPage(String groupId, String after, int limit) {
    return devicesPage(groupId, "?limit=" + limit + "&after=" + encodeQuery(after));
  }

  private CompletableFuture<GroupDevicesPage> devicesPage(String groupId, String query) {
    return send("GET", "/v1/groups/" + encodePath(groupId) + "/devices" + query, null, GroupDevicesView::parseFrom)
        .thenApply(view -> new GroupDevicesPage(view.getGroupId(), view.getMembersList().stream()
            .map(member -> new GroupMember(member.getDeviceId(), member.getStatus(),
                member.hasDevice() ? Optional.of(toDevice(member.getDevice())) : Optional.empty()))
            .toList(),
            view.getNextAfter().isEmpty() ? Optional.empty() : Optional.of(view.getNextAfter())));
  }

  private static Device toDevice(DeviceView view) {
    return new Device(view.getDeviceId(), StateFields.fromWire(view.getReportedMap()),
        view.getReportedVersion(), StateFields.fromWire(view.getDesiredMap()), view.getDesiredVersion(),
        StateFields.fromWire(view.getDeltaMap()), view.getAckedDesiredVersion(), view.getOnline(),
        view.getNodeId(), Instant.ofEpochSecond(view.getLastSeen().getSeconds(), view.getLastSeen().getNanos()),
        List.copyOf(view.getGroupsList()));
  }

  @Override
  public CompletableFuture<DesiredResult> setDesired(String deviceId, Map<String, ?> desired,
      OptionalLong expectedVersion) {
    SetDesiredRequest.Builder body = SetDesiredRequest.newBuilder().putAllDesired(StateFields.toWire(desired));
    expectedVersion.ifPresent(body::setExpectedVersion);
    return send("PUT", "/v1/devices/" + encodePath(deviceId) + "/desired", body.build(), SetDesiredResponse::parseFrom)
        .thenApply(response -> new DesiredResult(response.getDesiredVersion(), response.getPushed()));
  }

  @Override
  public CompletableFuture<DesiredBatchResult> setDesiredBatch(Map<String, ? extends Map<String, ?>> desiredByDevice) {
    List<DesiredChange> changes = new ArrayList<>(desiredByDevice.size());
    desiredByDevice.forEach((deviceId, desired) -> changes.add(DesiredChange.of(deviceId, desired)));
    return setDesiredBatch(changes);
  }

  @Override
  public CompletableFuture<DesiredBatchResult> setDesiredBatch(List<DesiredChange> changes) {
    DesiredBatchRequest.Builder body = DesiredBatchRequest.newBuilder();
    for (DesiredChange change : changes) {
      DeviceDesired.Builder device = DeviceDesired.newBuilder()
          .setDeviceId(change.deviceId())
          .putAllDesired(StateFields.toWire(change.desired()));
      change.expectedVersion().ifPresent(device::setExpectedVersion);
      body.addDevices(device);
    }
    return post("/v1/desired", body.build(), DesiredBatchResponse::parseFrom)
        .thenApply(response -> new DesiredBatchResult(
            response.getResultsList().stream().map(HttpHeraldClient::toOutcome).toList(),
            response.getApplied(), response.getRefused()));
  }

  /**
   * Stops the sender threads once the requests on the wire are answered; later calls fail at
   * once. (The JDK client of Java 17 has no close; its own threads end when it is unreachable.)
   */
  @Override
  public void close() {
    senders.shutdown();
  }

  private <T> CompletableFuture<T> post(String path, Message body, ResponseParser<T> parser) {
    return send("POST", path, body, parser);
  }

  private <T> CompletableFuture<T> send(String method, String path, Message body, ResponseParser<T> parser) {
    HttpRequest.Builder request = HttpRequest.newBuilder(options.baseUri().resolve(path))
        .timeout(options.requestTimeout())
        .header("Accept", PROTOBUF)
        .method(method, body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    if (body != null) {
      request.header("Content-Type", PROTOBUF);
    }
    if (options.apiKey() != null) {
      request.header("Authorization", "Bearer " + options.apiKey());
    }
    return attempt(request.build(), 0).thenApply(response -> parse(response, parser));
  }

  /**
   * Sends, and on a connection failure or 503 retries after a backoff, without blocking. A
   * request the client itself refused (its queue full, or no connection free in time) fails
   * at once: retrying would only add to the queue.
   */
  private CompletableFuture<HttpResponse<byte[]>> attempt(HttpRequest request, int retry) {
    return limiter.submit(() -> sendOnce(request))
        .handle((response, failure) -> {
          if (unwrap(failure) instanceof HeraldException refusedHere) {
            return CompletableFuture.<HttpResponse<byte[]>>failedFuture(refusedHere);
          }
          boolean retryable = failure != null || response.statusCode() == 503;
          if (!retryable) {
            return CompletableFuture.completedFuture(response);
          }
          if (retry >= options.maxRetries()) {
            return CompletableFuture.<HttpResponse<byte[]>>failedFuture(failure != null
                ? new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED,
                    "request to " + request.uri() + " failed after " + (retry + 1) + " attempts", unwrap(failure))
                : errorFor(response));
          }
          Duration wait = options.backoff().delay(retry);
          if (response != null) {
            wait = max(wait, RetryAfter.of(response).orElse(Duration.ZERO));
          }
          return SdkTimer.after(wait, () -> attempt(request, retry + 1));
        })
        .thenCompose(Function.identity());
  }

  /** One attempt on a sender thread; its answer, and the caller's next steps, complete there. */
  private CompletableFuture<HttpResponse<byte[]>> sendOnce(HttpRequest request) {
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
          throw new CompletionException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CompletionException(e);
        }
      }, senders);
    } catch (RejectedExecutionException closed) {
      return CompletableFuture.failedFuture(
          new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED, "the client is closed"));
    }
  }

  private static <T> T parse(HttpResponse<byte[]> response, ResponseParser<T> parser) {
    if (response.statusCode() / 100 != 2) {
      throw errorFor(response);
    }
    try {
      return parser.parse(response.body());
    } catch (InvalidProtocolBufferException e) {
      throw new HeraldException(ErrorCode.ERROR_CODE_UNSPECIFIED, "the node's answer could not be read", e);
    }
  }

  private static HeraldApiException errorFor(HttpResponse<byte[]> response) {
    ErrorCode code = ErrorCode.ERROR_CODE_UNSPECIFIED;
    String message = "HTTP " + response.statusCode();
    boolean isProtobuf = response.headers().firstValue("Content-Type").orElse("").contains("protobuf");
    if (isProtobuf) {
      try {
        ErrorResponse error = ErrorResponse.parseFrom(response.body());
        code = error.getError().getCode();
        message = error.getError().getMessage();
      } catch (InvalidProtocolBufferException e) {
        // Keep the bare status: the body was not ours.
      }
    }
    return HeraldApiException.of(response.statusCode(), code, message);
  }

  private static BroadcastResult toResult(BroadcastResponse response) {
    List<BroadcastResult.Outcome> outcomes = response.getResultsList().stream()
        .map(HttpHeraldClient::toOutcome)
        .toList();
    return new BroadcastResult(outcomes, response.getAccepted(), response.getRejected());
  }

  private static DesiredBatchResult.Outcome toOutcome(DeviceDesiredResult result) {
    return new DesiredBatchResult.Outcome(result.getDeviceId(), result.getApplied(), result.getDesiredVersion(),
        result.getPushed(), result.hasError() ? Optional.of(result.getError().getCode()) : Optional.empty(),
        result.getError().getMessage());
  }

  private static BroadcastResult.Outcome toOutcome(TopicResult result) {
    return new BroadcastResult.Outcome(result.getTopic(), result.getAccepted(), result.getSequence(),
        result.hasError() ? Optional.of(result.getError().getCode()) : Optional.empty(),
        result.getError().getMessage());
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** Percent-encodes each '/'-separated segment of a topic, keeping the slashes. */
  private static String encodePath(String topic) {
    StringBuilder path = new StringBuilder();
    for (String segment : topic.split("/", -1)) {
      if (path.length() > 0) {
        path.append('/');
      }
      path.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return path.toString();
  }

  private static String encodeQuery(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  @FunctionalInterface
  private interface ResponseParser<T> {
    T parse(byte[] body) throws InvalidProtocolBufferException;
  }

}
