package io.herald.node.device;

import io.herald.protocol.v1.Value;
import java.util.Map;
import java.util.TreeMap;

/** Maps state fields between the wire ({@code herald.v1.Value}) and {@link FieldValue}. */
public final class StateValues {

  private StateValues() {}

  /** The fields as {@link FieldValue}s; a value with no kind set is refused. */
  public static Map<String, FieldValue> fromWire(Map<String, Value> fields) {
    Map<String, FieldValue> values = new TreeMap<>();
    fields.forEach((name, value) -> values.put(name, switch (value.getKindCase()) {
      case NUMBER -> new FieldValue.Number(value.getNumber());
      case TEXT -> new FieldValue.Text(value.getText());
      case FLAG -> new FieldValue.Flag(value.getFlag());
      case KIND_NOT_SET -> throw new IllegalArgumentException("field '" + name + "' has no value");
    }));
    return values;
  }

  public static Map<String, Value> toWire(Map<String, FieldValue> fields) {
    Map<String, Value> values = new TreeMap<>();
    fields.forEach((name, value) -> values.put(name, toWire(value)));
    return values;
  }

  private static Value toWire(FieldValue value) {
    if (value instanceof FieldValue.Number number) {
      return Value.newBuilder().setNumber(number.value()).build();
    }
    if (value instanceof FieldValue.Text text) {
      return Value.newBuilder().setText(text.value()).build();
    }
    return Value.newBuilder().setFlag(((FieldValue.Flag) value).value()).build();
  }
}
