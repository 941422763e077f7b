package io.overlaynet.netlink.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An immutable, ordered list of attributes parsed from a message or a nested attribute, with
 * lookup by type.
 *
 * <pre>{@code
 * RtAttrs attrs = RtAttrs.decode(payload, payload.remaining());
 * String name = attrs.string(IFLA_IFNAME, null);
 * }</pre>
 */
public final class RtAttrs {

  private final List<RtAttr> list;

  private RtAttrs(List<RtAttr> list) {
    this.list = Collections.unmodifiableList(list);
  }

  /** Wraps a list of attributes. */
  public static RtAttrs of(List<RtAttr> attrs) {
    return new RtAttrs(new ArrayList<>(attrs));
  }

  /**
   * Parses attributes from the buffer's position over {@code length} bytes; advances the buffer
   * past them. A trailing fragment shorter than an attribute header is ignored, as the kernel does.
   *
   * @throws IllegalArgumentException if an attribute overruns {@code length}
   */
  public static RtAttrs decode(ByteBuffer buf, int length) {
    int end = buf.position() + length;
    List<RtAttr> out = new ArrayList<>();
    ByteBuffer view = buf.duplicate().order(buf.order());
    view.limit(end);
    while (view.remaining() >= RtAttr.HEADER_SIZE) {
      out.add(RtAttr.decode(view));
    }
    buf.position(end);
    return new RtAttrs(out);
  }

  /** Returns all attributes in wire order. */
  public List<RtAttr> all() {
    return list;
  }

  /** Returns the first attribute of {@code type}, or null. */
  public RtAttr get(int type) {
    for (RtAttr a : list) {
      if (a.type() == type) {
        return a;
      }
    }
    return null;
  }

  /** Returns whether an attribute of {@code type} is present. */
  public boolean has(int type) {
    return get(type) != null;
  }

  /** Returns the u32 value of {@code type}, or {@code dflt} when absent. */
  public int u32(int type, int dflt) {
    RtAttr a = get(type);
    return a == null ? dflt : a.u32();
  }

  /** Returns the u8 value of {@code type}, or {@code dflt} when absent. */
  public int u8(int type, int dflt) {
    RtAttr a = get(type);
    return a == null ? dflt : a.u8();
  }

  /** Returns the string value of {@code type}, or {@code dflt} when absent. */
  public String string(int type, String dflt) {
    RtAttr a = get(type);
    return a == null ? dflt : a.string();
  }

  /** Returns the raw payload of {@code type}, or null when absent. */
  public byte[] bytes(int type) {
    RtAttr a = get(type);
    return a == null ? null : a.value();
  }

  /** Returns the nested attributes of {@code type}, or an empty list when absent. */
  public RtAttrs nested(int type) {
    RtAttr a = get(type);
    return a == null ? new RtAttrs(List.of()) : a.nested();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RtAttrs other && other.list.equals(list);
  }

  @Override
  public int hashCode() {
    return list.hashCode();
  }

  @Override
  public String toString() {
    return list.toString();
  }
}
