package io.herald.node.edge;

import io.herald.node.connection.ClientRequest;
import io.herald.node.connection.FrameDecoder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * Turns inbound WebSocket messages into decoded {@link ClientRequest}s, one at a time.
 * A message over the frame limit is read to its end but not kept, and becomes a
 * FRAME_TOO_LARGE answer. Binary frames are Protobuf and text frames JSON, whichever
 * format the connection negotiated for its outbound frames.
 */
final class InboundFrames {

  private InboundFrames() {}

  static Flow<Message, ClientRequest, NotUsed> decoder(int maxFrameBytes, Materializer materializer) {
    return Flow.<Message>create().mapAsync(1, message -> decode(message, maxFrameBytes, materializer));
  }

  private static CompletionStage<ClientRequest> decode(Message message, int limit, Materializer materializer) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      if (text.isStrict()) {
        return CompletableFuture.completedFuture(decodeText(text.getStrictText(), limit));
      }
      return text.getStreamedText()
          .runWith(Sink.fold(new TextCollector(limit), TextCollector::add), materializer)
          .thenApply(collected -> collected.tooLarge
              ? FrameDecoder.tooLarge(collected.bytes, limit)
              : decodeText(collected.text.toString(), limit));
    }
    BinaryMessage binary = message.asBinaryMessage();
    if (binary.isStrict()) {
      return CompletableFuture.completedFuture(decodeBinary(binary.getStrictData(), limit));
    }
    return binary.getStreamedData()
        .runWith(Sink.fold(new BinaryCollector(limit), BinaryCollector::add), materializer)
        .thenApply(collected -> collected.tooLarge
            ? FrameDecoder.tooLarge(collected.bytes, limit)
            : decodeBinary(collected.data, limit));
  }

  private static ClientRequest decodeText(String text, int limit) {
    long bytes = text.length() > limit ? text.length() : utf8Length(text);
    return bytes > limit ? FrameDecoder.tooLarge(bytes, limit) : FrameDecoder.decodeJson(text);
  }

  /** The UTF-8 length of a string, without encoding it. */
  static long utf8Length(String text) {
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private static ClientRequest decodeBinary(ByteString data, int limit) {
    return data.size() > limit ? FrameDecoder.tooLarge(data.size(), limit) : FrameDecoder.decodeBinary(data.asByteBuffer());
  }

  private static final class TextCollector {
    final int limit;
    final StringBuilder text = new StringBuilder();
    long bytes;
    boolean tooLarge;

    TextCollector(int limit) {
      this.limit = limit;
    }

    TextCollector add(String chunk) {
      bytes += chunk.length();
      if (!tooLarge && bytes <= limit) {
        text.append(chunk);
      } else {
        tooLarge = true;
        text.setLength(0);
      }
      return this;
    }
  }

  private static final class BinaryCollector {
    final int limit;
    ByteString data = ByteString.emptyByteString();
    long bytes;
    boolean tooLarge;

    BinaryCollector(int limit) {
      this.limit = limit;
    }

    BinaryCollector add(ByteString chunk) {
      bytes += chunk.size();
      if (!tooLarge && bytes <= limit) {
        data = data.concat(chunk);
      } else {
        tooLarge = true;
        data = ByteString.emptyByteString();
      }
      return this;
    }
  }
}
