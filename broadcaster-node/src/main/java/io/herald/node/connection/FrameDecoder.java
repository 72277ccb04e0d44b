package io.herald.node.connection;

import com.google.protobuf.InvalidProtocolBufferException;
import io.herald.protocol.Json;
import io.herald.protocol.v1.ClientFrame;
import io.herald.node.device.StateValues;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ReportState;
import io.herald.protocol.v1.Subscribe;
import io.herald.node.topic.ResumePoint;
import java.util.Optional;
import java.util.List;
import java.nio.ByteBuffer;

/** Decodes device frames of either wire format into {@link ClientRequest}s; never throws. */
public final class FrameDecoder {

  private FrameDecoder() {}

  public static ClientRequest decodeBinary(ByteBuffer frame) {
    try {
      return toRequest(ClientFrame.parseFrom(frame));
    } catch (InvalidProtocolBufferException e) {
      return new ClientRequest.Invalid(0, ErrorCode.MALFORMED_FRAME, "binary frame is not a ClientFrame: " + e.getMessage());
    }
  }

  public static ClientRequest decodeJson(String frame) {
    try {
      return toRequest(Json.parse(frame, ClientFrame.newBuilder()).build());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat reports some malformed input as unchecked exceptions.
      return new ClientRequest.Invalid(0, ErrorCode.MALFORMED_FRAME, "text frame is not a ClientFrame in JSON: " + e.getMessage());
    }
  }

  /** The answer to a frame larger than the limit, which is discarded unread. */
  public static ClientRequest tooLarge(long size, int limit) {
    return new ClientRequest.Invalid(0, ErrorCode.FRAME_TOO_LARGE,
        "frame of " + size + " bytes or more exceeds the limit of " + limit + " bytes");
  }

  private static ClientRequest subscribe(long id, Subscribe subscribe) {
    Optional<ResumePoint> resumeFrom = subscribe.hasResumeFrom()
        ? Optional.of(new ResumePoint(subscribe.getResumeFrom().getEpoch(), subscribe.getResumeFrom().getSequence()))
        : Optional.empty();
    return new ClientRequest.Subscribe(id, subscribe.getTopic(), resumeFrom);
  }

  private static ClientRequest toRequest(ClientFrame frame) {
    long id = frame.getRequestId();
    return switch (frame.getKindCase()) {
      case SUBSCRIBE -> subscribe(id, frame.getSubscribe());
      case UNSUBSCRIBE -> new ClientRequest.Unsubscribe(id, frame.getUnsubscribe().getTopic());
      case PUBLISH -> new ClientRequest.Publish(id, frame.getPublish().getTopic(), frame.getPublish().getPayload());
      case REPORT_STATE -> reportState(id, frame.getReportState());
      case ACK_DESIRED -> new ClientRequest.AckDesired(id, frame.getAckDesired().getVersion());
      case PING -> new ClientRequest.Ping(id);
      case PONG -> new ClientRequest.Pong(id);
      case KIND_NOT_SET -> new ClientRequest.Invalid(id, ErrorCode.UNKNOWN_FRAME,
          "frame has no kind this node knows (subscribe, unsubscribe, publish, report_state, ack_desired, ping, pong)");
    };
  }

  private static ClientRequest reportState(long id, ReportState report) {
    try {
      return new ClientRequest.ReportState(id, StateValues.fromWire(report.getFieldsMap()), report.getReplace(),
          List.copyOf(report.getRemoveList()));
    } catch (IllegalArgumentException e) {
      return new ClientRequest.Invalid(id, ErrorCode.INVALID_REQUEST, e.getMessage());
    }
  }
}
