package io.herald.node.connection;

import com.google.protobuf.ByteString;
import io.herald.node.device.FieldValue;
import io.herald.node.topic.ResumePoint;
import io.herald.protocol.v1.ErrorCode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A frame from a device, decoded at the edge into what the connection actor acts on. */
public sealed interface ClientRequest {

  long requestId();

  /** Subscribes; with a resume point, what the topic keeps since then comes first. */
  record Subscribe(long requestId, String topic, Optional<ResumePoint> resumeFrom) implements ClientRequest {}

  record Unsubscribe(long requestId, String topic) implements ClientRequest {}

  record Publish(long requestId, String topic, ByteString payload) implements ClientRequest {}

  /** Merges {@code fields} into the reported state (dropping {@code remove}), or replaces it. */
  record ReportState(long requestId, Map<String, FieldValue> fields, boolean replace, List<String> remove)
      implements ClientRequest {}

  record AckDesired(long requestId, long version) implements ClientRequest {}

  record Ping(long requestId) implements ClientRequest {}

  record Pong(long requestId) implements ClientRequest {}

  /** A frame that could not be accepted: answered with an error frame. */
  record Invalid(long requestId, ErrorCode code, String message) implements ClientRequest {}
}
