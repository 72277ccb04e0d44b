package io.herald.node.device;

/** The value of one field of a device's state: a number, a string or a boolean. */
public sealed interface FieldValue {

  record Number(double value) implements FieldValue {}

  record Text(String value) implements FieldValue {}

  record Flag(boolean value) implements FieldValue {}
}
