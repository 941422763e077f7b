package io.overlaynet.examples;

/** The fault suite ({@link FaultSuite}) on the vxlan backend. */
class VxlanFaultIT extends FaultSuite {

  @Override
  String backend() {
    return "vxlan";
  }

  @Override
  String prefix() {
    return "ovlfv";
  }
}
