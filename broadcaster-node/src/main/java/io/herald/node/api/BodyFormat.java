package io.herald.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.herald.protocol.Json;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.util.ByteString;

/** The two encodings of API bodies: Protobuf, or the protobuf JSON mapping. */
public enum BodyFormat {
  PROTOBUF,
  JSON;

  private static final MediaType.Binary PROTOBUF_MEDIA_TYPE =
      MediaTypes.customBinary("application", "x-protobuf", false);
  private static final ContentType PROTOBUF_CONTENT_TYPE = ContentTypes.create(PROTOBUF_MEDIA_TYPE);

  /** The format a request body declares, if it is one of ours. */
  public static Optional<BodyFormat> of(ContentType contentType) {
    MediaType mediaType = contentType.mediaType();
    if (!"application".equals(mediaType.mainType())) {
      return Optional.empty();
    }
    return switch (mediaType.subType()) {
      case "json" -> Optional.of(JSON);
      case "x-protobuf", "protobuf" -> Optional.of(PROTOBUF);
      default -> Optional.empty();
    };
  }

  /** The format a client asks for in an Accept header; JSON unless it asks for Protobuf. */
  public static BodyFormat accepted(Optional<String> accept) {
    return accept.filter(value -> value.contains("protobuf")).isPresent() ? PROTOBUF : JSON;
  }

  public <B extends Message.Builder> B parse(ByteString body, B builder) throws InvalidProtocolBufferException {
    if (this == PROTOBUF) {
      builder.mergeFrom(body.toArrayUnsafe());
      return builder;
    }
    return Json.parse(body.utf8String(), builder);
  }

  public HttpEntity.Strict entity(Message message) {
    return this == PROTOBUF
        ? HttpEntities.create(PROTOBUF_CONTENT_TYPE, message.toByteArray())
        : HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.print(message));
  }
}
