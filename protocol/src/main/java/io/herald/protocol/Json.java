package io.herald.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;

/**
 * The protobuf JSON mapping as Herald uses it: compact output with lowerCamelCase field
 * names; input accepts either field-name style and ignores unknown fields, so a frame of
 * an unknown kind decodes to a frame with no kind set.
 */
public final class Json {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private Json() {}

  /** Prints a message in the protobuf JSON mapping. */
  public static String print(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail to print, and the schemas have none.
      throw new IllegalStateException("message cannot be printed as JSON", e);
    }
  }

  /** Parses JSON into the builder; throws on malformed JSON or mistyped fields. */
  public static <B extends Message.Builder> B parse(CharSequence json, B builder)
      throws InvalidProtocolBufferException {
    PARSER.merge(json.toString(), builder);
    return builder;
  }
}
