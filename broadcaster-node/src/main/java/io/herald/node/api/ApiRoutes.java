package io.herald.node.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractUnmatchedPath;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.herald.node.aggregate.GroupAggregator;
import io.herald.node.aggregate.GroupViews;
import io.herald.node.aggregate.MemberQueries;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.node.device.DeviceViews;
import io.herald.node.device.FieldValue;
import io.herald.node.device.StateValues;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.ops.ClusterStatusView;
import io.herald.node.ops.StatusPage;
import io.herald.node.security.ApiKeys;
import io.herald.node.security.AuthSettings;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.DeviceTokens;
import io.herald.node.security.TopicPattern;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicService;
import io.herald.protocol.Topics;
import io.herald.protocol.v1.BroadcastRequest;
import io.herald.protocol.v1.BroadcastResponse;
import io.herald.protocol.v1.DesiredBatchRequest;
import io.herald.protocol.v1.DesiredBatchResponse;
import io.herald.protocol.v1.DevTokenRequest;
import io.herald.protocol.v1.DevTokenResponse;
import io.herald.protocol.v1.DeviceDesired;
import io.herald.protocol.v1.DeviceDesiredResult;
import io.herald.protocol.v1.Error;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.NodeStatus;
import io.herald.protocol.v1.PublishRequest;
import io.herald.protocol.v1.PublishResponse;
import io.herald.protocol.v1.SetDesiredRequest;
import io.herald.protocol.v1.SetDesiredResponse;
import io.herald.protocol.v1.TopicPatterns;
import io.herald.protocol.v1.TopicResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Accept;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;

/**
 * The backend API: publish to one topic, broadcast one payload to many, and read what the
 * node holds. Bodies are Protobuf or JSON by Content-Type; answers follow the request.
 */
public final class ApiRoutes {

  private static final String MESSAGES_SUFFIX = "/messages";

  private final TopicService topics;
  private final Function<String, RecipientRef<DeviceEntity.Command>> devices;
  private final Function<String, RecipientRef<GroupAggregator.Command>> groups;
  private final ActorRef<MemberQueries.Query> memberQueries;
  private final int groupPageSize;
  private final Scheduler scheduler;
  private final ApiSettings settings;
  private final int maxTopicLength;
  private final Supplier<NodeStatus> nodeStatus;
  private final ClusterStatusView clusterStatus;
  private final ApiKeys apiKeys;
  private final AuthSettings auth;
  private final NodeMetrics metrics;
  private final RequestsInFlight inFlight;

  public ApiRoutes(TopicService topics, Function<String, RecipientRef<DeviceEntity.Command>> devices,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, ActorRef<MemberQueries.Query> memberQueries,
      int groupPageSize, Scheduler scheduler, ApiSettings settings, int maxTopicLength, Supplier<NodeStatus> nodeStatus,
      ClusterStatusView clusterStatus, AuthSettings auth, NodeMetrics metrics) {
    this.topics = topics;
    this.devices = devices;
    this.groups = groups;
    this.memberQueries = memberQueries;
    this.groupPageSize = groupPageSize;
    this.scheduler = scheduler;
    this.settings = settings;
    this.maxTopicLength = maxTopicLength;
    this.nodeStatus = nodeStatus;
    this.clusterStatus = clusterStatus;
    this.apiKeys = new ApiKeys(auth.apiKeys());
    this.auth = auth;
    this.metrics = metrics;
    this.inFlight = new RequestsInFlight(settings.maxRequestsInFlight(), metrics);
  }

  public Route route() {
    return concat(path("status", () -> get(() -> completeWithFuture(clusterStatus.current().thenApply(cluster ->
            HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8,
                StatusPage.render(nodeStatus.get(), cluster))))))),
        v1Route());
  }

  private Route v1Route() {
    return pathPrefix("v1", () -> concat(
        pathPrefix("topics", () -> post(() -> withScope(ApiKeys.Scope.PUBLISH,
            () -> extractUnmatchedPath(this::publishRoute)))),
        path("broadcast", () -> post(() -> withScope(ApiKeys.Scope.PUBLISH,
            () -> withBody(BroadcastRequest.newBuilder(), this::broadcast)))),
        pathPrefix("devices", () -> pathPrefix(PathMatchers.segment(), deviceId -> concat(
            pathEnd(() -> get(() -> withScope(ApiKeys.Scope.READ_STATE, () -> extractRequest(request ->
                answer(request, format -> getDevice(deviceId, format)))))),
            path("desired", () -> put(() -> withScope(ApiKeys.Scope.COMMAND,
                () -> withBody(SetDesiredRequest.newBuilder(), (body, format) -> setDesired(deviceId, body, format)))))))),
        path("desired", () -> post(() -> withScope(ApiKeys.Scope.COMMAND,
            () -> withBody(DesiredBatchRequest.newBuilder(), this::setDesiredBatch)))),
        pathPrefix("groups", () -> pathPrefix(PathMatchers.segment(), groupId -> get(() -> withScope(
            ApiKeys.Scope.READ_STATE, () -> extractRequest(request -> concat(
                pathEnd(() -> answer(request, format -> getGroup(groupId, format))),
                path("devices", () -> parameterOptional("limit", limit -> parameterOptional("after", after ->
                    answer(request, format -> getGroupDevices(groupId, after, limit, format))))))))))),
        path(PathMatchers.segment("dev").slash("tokens"), () -> post(() -> withScope(ApiKeys.Scope.COMMAND,
            () -> withBody(DevTokenRequest.newBuilder(), this::mintDevToken)))),
        path("node", () -> get(() -> extractRequest(request ->
            completeWithFuture(CompletableFuture.completedFuture(
                ApiResponses.ok(nodeStatus.get(), BodyFormat.accepted(acceptHeader(request)))))))),
        path("cluster", () -> get(() -> extractRequest(request -> completeWithFuture(clusterStatus.current()
            .thenApply(cluster -> ApiResponses.ok(cluster, BodyFormat.accepted(acceptHeader(request))))))))));
  }

  private Route publishRoute(String unmatchedPath) {
    if (!unmatchedPath.startsWith("/") || !unmatchedPath.endsWith(MESSAGES_SUFFIX)
        || unmatchedPath.length() <= 1 + MESSAGES_SUFFIX.length()) {
      return reject();
    }
    String topic = unmatchedPath.substring(1, unmatchedPath.length() - MESSAGES_SUFFIX.length());
    return withBody(PublishRequest.newBuilder(), (request, format) -> publish(topic, request.build(), format));
  }

  private CompletionStage<HttpResponse> publish(String topic, PublishRequest request, BodyFormat format) {
    Optional<Error> invalid = checkTopic(topic);
    if (invalid.isPresent()) {
      return CompletableFuture.completedFuture(
          error(StatusCodes.BAD_REQUEST, invalid.get().getCode(), invalid.get().getMessage(), format));
    }
    return askPublish(topic, request.getPayload())
        .thenApply(published -> ApiResponses.ok(PublishResponse.newBuilder()
            .setTopic(topic)
            .setSequence(published.sequence())
            .build(), format))
        .exceptionally(failure -> overloaded("accept the publish", format));
  }

  private CompletionStage<HttpResponse> broadcast(BroadcastRequest.Builder request, BodyFormat format) {
    if (request.getTopicsCount() == 0 || request.getTopicsCount() > settings.maxBroadcastTopics()) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          "a broadcast names 1 to " + settings.maxBroadcastTopics() + " topics", format));
    }
    List<CompletableFuture<TopicResult>> results = new ArrayList<>(request.getTopicsCount());
    for (String topic : request.getTopicsList()) {
      Optional<Error> invalid = checkTopic(topic);
      if (invalid.isPresent()) {
        results.add(CompletableFuture.completedFuture(
            TopicResult.newBuilder().setTopic(topic).setAccepted(false).setError(invalid.get()).build()));
      } else {
        results.add(askPublish(topic, request.getPayload())
            .thenApply(published -> TopicResult.newBuilder()
                .setTopic(topic).setAccepted(true).setSequence(published.sequence()).build())
            .toCompletableFuture());
      }
    }
    return allOf(results)
        .thenApply(topicResults -> {
          BroadcastResponse.Builder response = BroadcastResponse.newBuilder();
          for (TopicResult topicResult : topicResults) {
            response.addResults(topicResult);
            if (topicResult.getAccepted()) {
              response.setAccepted(response.getAccepted() + 1);
            } else {
              response.setRejected(response.getRejected() + 1);
            }
          }
          return ApiResponses.ok(response.build(), format);
        })
        .exceptionally(failure -> overloaded("accept the broadcast", format));
  }

  private CompletionStage<HttpResponse> getDevice(String deviceId, BodyFormat format) {
    return AskPattern.<DeviceEntity.Command, DeviceSnapshot>ask(devices.apply(deviceId),
            DeviceEntity.GetDevice::new, settings.publishTimeout(), scheduler)
        .thenApply(device -> device.known()
            ? ApiResponses.ok(DeviceViews.toWire(device), format)
            : error(StatusCodes.NOT_FOUND, ErrorCode.NOT_FOUND, "no device " + deviceId + " has connected or been given state", format))
        .exceptionally(failure -> overloaded("read the device", format));
  }

  private CompletionStage<HttpResponse> getGroup(String groupId, BodyFormat format) {
    return AskPattern.<GroupAggregator.Command, GroupAggregator.AggregateReport>ask(groups.apply(groupId),
            GroupAggregator.GetAggregate::new, settings.publishTimeout(), scheduler)
        .thenApply(report -> ApiResponses.ok(GroupViews.toWire(report.groupId(), report.snapshot()), format))
        .exceptionally(failure -> overloaded("read the group", format));
  }

  /**
   * One page of a group's members, each asked for its state: the group names the page's
   * ids, and this node asks the members, so the answer is put together here.
   */
  private CompletionStage<HttpResponse> getGroupDevices(String groupId, Optional<String> after,
      Optional<String> limitParameter, BodyFormat format) {
    int limit = pageLimit(limitParameter);
    if (limit < 1) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          "limit must be a number from 1 to " + groupPageSize, format));
    }
    return AskPattern.<GroupAggregator.Command, GroupAggregator.MemberPage>ask(groups.apply(groupId),
            replyTo -> new GroupAggregator.ListMembers(after.orElse(""), limit, replyTo),
            settings.publishTimeout(), scheduler)
        .thenCompose(page -> AskPattern.<MemberQueries.Query, MemberQueries.GroupMembers>ask(memberQueries,
                replyTo -> new MemberQueries.Query(groupId, page.memberIds(), replyTo), settings.publishTimeout(),
                scheduler)
            .thenApply(members -> ApiResponses.ok(GroupViews.toWire(members,
                page.more() ? page.memberIds().get(page.memberIds().size() - 1) : ""), format)))
        .exceptionally(failure -> overloaded("query the group's members", format));
  }

  /** The page size asked for, the largest when not given, or -1 when it is not one of 1..largest. */
  private int pageLimit(Optional<String> limitParameter) {
    if (limitParameter.isEmpty()) {
      return groupPageSize;
    }
    try {
      int limit = Integer.parseInt(limitParameter.get());
      return limit >= 1 && limit <= groupPageSize ? limit : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private CompletionStage<HttpResponse> setDesired(String deviceId, SetDesiredRequest.Builder request, BodyFormat format) {
    if (!DeviceIdentity.isValidDeviceId(deviceId)) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          DeviceIdentity.DEVICE_ID_RULE, format));
    }
    Map<String, FieldValue> desired;
    try {
      desired = StateValues.fromWire(request.getDesiredMap());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST, e.getMessage(), format));
    }
    OptionalLong expected = request.hasExpectedVersion() ? OptionalLong.of(request.getExpectedVersion()) : OptionalLong.empty();
    return askSetDesired(deviceId, desired, expected)
        .thenApply(set -> {
          if (set.applied()) {
            return ApiResponses.ok(SetDesiredResponse.newBuilder()
                .setDesiredVersion(set.desiredVersion()).setPushed(set.pushed()).build(), format);
          }
          StatusCode status = set.error() == ErrorCode.VERSION_CONFLICT ? StatusCodes.CONFLICT : StatusCodes.BAD_REQUEST;
          return error(status, set.error(), set.message(), format);
        })
        .exceptionally(failure -> overloaded("set the desired state", format));
  }

  /**
   * Many devices' desired state in one request: each device is set on its own, and one
   * device's refusal or silence does not fail the others. A device named twice fails the
   * whole request, since the order of its two changes would be a guess.
   */
  private CompletionStage<HttpResponse> setDesiredBatch(DesiredBatchRequest.Builder request, BodyFormat format) {
    int count = request.getDevicesCount();
    if (count == 0 || count > settings.maxBatchDevices()) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          "a desired-state batch names 1 to " + settings.maxBatchDevices() + " devices", format));
    }
    Set<String> named = new HashSet<>(count * 2);
    for (DeviceDesired device : request.getDevicesList()) {
      if (!named.add(device.getDeviceId())) {
        return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
            "device " + device.getDeviceId() + " is named more than once", format));
      }
    }
    List<CompletableFuture<DeviceDesiredResult>> results = new ArrayList<>(count);
    for (DeviceDesired device : request.getDevicesList()) {
      results.add(setDesiredOf(device).toCompletableFuture());
    }
    return allOf(results)
        .thenApply(deviceResults -> {
          DesiredBatchResponse.Builder response = DesiredBatchResponse.newBuilder();
          for (DeviceDesiredResult deviceResult : deviceResults) {
            response.addResults(deviceResult);
            if (deviceResult.getApplied()) {
              response.setApplied(response.getApplied() + 1);
            } else {
              metrics.error(deviceResult.getError().getCode());
              response.setRefused(response.getRefused() + 1);
            }
          }
          return ApiResponses.ok(response.build(), format);
        });
  }

  /** One device of a batch; never fails, a refusal or a timeout is its result. */
  private CompletionStage<DeviceDesiredResult> setDesiredOf(DeviceDesired device) {
    DeviceDesiredResult.Builder result = DeviceDesiredResult.newBuilder().setDeviceId(device.getDeviceId());
    if (!DeviceIdentity.isValidDeviceId(device.getDeviceId())) {
      return CompletableFuture.completedFuture(refused(result, ErrorCode.INVALID_REQUEST,
          DeviceIdentity.DEVICE_ID_RULE));
    }
    Map<String, FieldValue> desired;
    try {
      desired = StateValues.fromWire(device.getDesiredMap());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(refused(result, ErrorCode.INVALID_REQUEST, e.getMessage()));
    }
    OptionalLong expected = device.hasExpectedVersion() ? OptionalLong.of(device.getExpectedVersion()) : OptionalLong.empty();
    return askSetDesired(device.getDeviceId(), desired, expected)
        .thenApply(set -> set.applied()
            ? result.setApplied(true).setDesiredVersion(set.desiredVersion()).setPushed(set.pushed()).build()
            : refused(result.setDesiredVersion(set.desiredVersion()), set.error(), set.message()))
        .exceptionally(failure -> refused(result, ErrorCode.UNAVAILABLE,
            "the device's state did not answer within " + settings.publishTimeout().toMillis() + " ms; retry it"));
  }

  private static DeviceDesiredResult refused(DeviceDesiredResult.Builder result, ErrorCode code, String message) {
    return result.setApplied(false).setError(Error.newBuilder().setCode(code).setMessage(message)).build();
  }

  private CompletionStage<DeviceEntity.DesiredSet> askSetDesired(String deviceId, Map<String, FieldValue> desired,
      OptionalLong expected) {
    return AskPattern.ask(devices.apply(deviceId), replyTo -> new DeviceEntity.SetDesired(desired, expected, replyTo),
        settings.publishTimeout(), scheduler);
  }

  /** Every result in order, once all are in. */
  private static <T> CompletionStage<List<T>> allOf(List<CompletableFuture<T>> results) {
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
  }

  /** Dev mode only: a device token signed with the node's HS256 secret. */
  private CompletionStage<HttpResponse> mintDevToken(DevTokenRequest.Builder request, BodyFormat format) {
    if (!auth.devMode() || auth.hs256Secret().isEmpty()) {
      return CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, ErrorCode.NOT_FOUND,
          "device tokens are minted here only in dev mode with an HS256 secret", format));
    }
    Duration ttl = request.getTtlSeconds() > 0 ? Duration.ofSeconds(request.getTtlSeconds()) : auth.devTokenTtl();
    DeviceIdentity identity;
    try {
      identity = new DeviceIdentity(request.getDeviceId(), request.getGroupsList(),
          request.hasSubscribe() ? Optional.of(patterns(request.getSubscribe())) : Optional.empty(),
          request.hasPublish() ? Optional.of(patterns(request.getPublish())) : Optional.empty());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST, e.getMessage(), format));
    }
    if (!DeviceIdentity.isValidDeviceId(identity.deviceId())) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
          DeviceIdentity.DEVICE_ID_RULE, format));
    }
    Clock clock = Clock.systemUTC();
    String token = DeviceTokens.mintHs256(auth.hs256Secret().get(), identity, ttl, clock);
    Instant expires = clock.instant().plus(ttl);
    return CompletableFuture.completedFuture(ApiResponses.ok(DevTokenResponse.newBuilder()
        .setToken(token)
        .setExpiresAt(Timestamp.newBuilder().setSeconds(expires.getEpochSecond()))
        .build(), format));
  }

  private static List<TopicPattern> patterns(TopicPatterns patterns) {
    return patterns.getPatternsList().stream().map(TopicPattern::new).toList();
  }

  /** Lets the request through when its API key has the scope; 401 or 403 otherwise. */
  private Route withScope(ApiKeys.Scope scope, Supplier<Route> inner) {
    return extractRequest(request -> {
      Optional<String> key = BearerToken.fromHeader(request);
      BodyFormat format = BodyFormat.accepted(acceptHeader(request));
      return switch (apiKeys.check(key, scope)) {
        case ALLOWED -> inner.get();
        case UNAUTHENTICATED -> {
          metrics.error(ErrorCode.UNAUTHORIZED);
          yield complete(ApiResponses.unauthorized(
              key.isEmpty() ? "send an API key as Authorization: Bearer <key>" : "unknown API key", format));
        }
        case FORBIDDEN -> complete(error(StatusCodes.FORBIDDEN, ErrorCode.FORBIDDEN,
            "this API key lacks the " + scope.configName() + " scope", format));
      };
    });
  }

  /** An error answer, counted. */
  private HttpResponse error(StatusCode status, ErrorCode code, String message, BodyFormat format) {
    metrics.error(code);
    return ApiResponses.error(status, code, message, format);
  }

  private CompletionStage<TopicEntity.Published> askPublish(String topic, ByteString payload) {
    return topics.publish(topic, payload, settings.publishTimeout(), scheduler);
  }

  private Optional<Error> checkTopic(String topic) {
    Topics.Verdict verdict = Topics.check(topic, maxTopicLength);
    if (verdict == Topics.Verdict.VALID) {
      return Optional.empty();
    }
    ErrorCode code = verdict == Topics.Verdict.RESERVED ? ErrorCode.RESERVED_TOPIC : ErrorCode.INVALID_TOPIC;
    return Optional.of(Error.newBuilder().setCode(code).setMessage(Topics.explain(topic, verdict, maxTopicLength)).build());
  }

  /**
   * Serves a request if fewer than {@code max-requests-in-flight} are being served, and
   * answers 503 at once otherwise (the node's status stays outside this bound).
   */
  private Route answer(HttpRequest request, Function<BodyFormat, CompletionStage<HttpResponse>> serve) {
    BodyFormat format = BodyFormat.accepted(acceptHeader(request));
    if (!inFlight.tryAdmit()) {
      metrics.error(ErrorCode.UNAVAILABLE);
      return complete(ApiResponses.unavailable(ErrorCode.UNAVAILABLE, "the node is serving its most API requests at "
          + "once (" + inFlight.limit() + "); retry later", settings.retryAfter(), format));
    }
    CompletionStage<HttpResponse> answer;
    try {
      answer = serve.apply(format);
    } catch (RuntimeException e) {
      inFlight.done();
      throw e;
    }
    return completeWithFuture(answer.whenComplete((response, failure) -> inFlight.done()));
  }

  /** 503 for a request the node could not serve in time; {@code what} says what it was. */
  private HttpResponse overloaded(String what, BodyFormat format) {
    metrics.error(ErrorCode.UNAVAILABLE);
    return ApiResponses.unavailable(ErrorCode.UNAVAILABLE,
        "the node could not " + what + " within " + settings.publishTimeout().toMillis() + " ms; retry later",
        settings.retryAfter(), format);
  }

  /** Reads and parses a bounded request body, answering 413, 415 or 400 when it cannot. */
  private <B extends Message.Builder> Route withBody(B builder,
      BiFunction<B, BodyFormat, CompletionStage<HttpResponse>> handler) {
    return extractRequest(request -> extractMaterializer(materializer ->
        answer(request, accepted -> readBody(request, materializer, builder, handler))));
  }

  private <B extends Message.Builder> CompletionStage<HttpResponse> readBody(HttpRequest request,
      Materializer materializer, B builder, BiFunction<B, BodyFormat, CompletionStage<HttpResponse>> handler) {
    Optional<BodyFormat> declared = BodyFormat.of(request.entity().getContentType());
    if (declared.isEmpty()) {
      return CompletableFuture.completedFuture(error(StatusCodes.UNSUPPORTED_MEDIA_TYPE,
          ErrorCode.INVALID_REQUEST, "Content-Type must be application/json or application/x-protobuf", BodyFormat.JSON));
    }
    BodyFormat format = declared.get();
    if (request.entity().getContentLengthOption().orElse(0L) > settings.maxBodyBytes()) {
      return CompletableFuture.completedFuture(bodyTooLarge(format));
    }
    // A body that arrived whole (its length checked above) is read as it is: toStrict would
    // run a stream for it. A body of unknown length is cut off at the limit while it streams in.
    CompletionStage<HttpEntity.Strict> body = request.entity() instanceof HttpEntity.Strict strictEntity
        ? CompletableFuture.completedFuture(strictEntity)
        : request.entity().toStrict(settings.publishTimeout().toMillis(), settings.maxBodyBytes(), materializer);
    return body
        .handle((strict, failure) -> {
          if (failure != null) {
            return CompletableFuture.completedFuture(bodyFailure(failure, format));
          }
          try {
            return handler.apply(format.parse(strict.getData(), builder), format);
          } catch (InvalidProtocolBufferException e) {
            return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST,
                ErrorCode.INVALID_REQUEST, "body is not a valid " + builder.getDescriptorForType().getName()
                    + ": " + e.getMessage(), format));
          }
        })
        .thenCompose(response -> response);
  }

  private HttpResponse bodyFailure(Throwable failure, BodyFormat format) {
    Throwable cause = failure;
    while (cause.getCause() != null && !(cause instanceof EntityStreamSizeException)) {
      cause = cause.getCause();
    }
    if (cause instanceof EntityStreamSizeException) {
      return bodyTooLarge(format);
    }
    return error(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
        "request body could not be read: " + failure.getMessage(), format);
  }

  private HttpResponse bodyTooLarge(BodyFormat format) {
    return error(StatusCodes.CONTENT_TOO_LARGE, ErrorCode.PAYLOAD_TOO_LARGE,
        "request body is larger than " + settings.maxBodyBytes() + " bytes", format);
  }

  private static Optional<String> acceptHeader(HttpRequest request) {
    return request.getHeader(Accept.class).map(Accept::value);
  }
}
