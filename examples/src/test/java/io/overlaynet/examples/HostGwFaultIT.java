package io.overlaynet.examples;

/** The fault suite ({@link FaultSuite}) on the host-gw backend. */
class HostGwFaultIT extends FaultSuite {

  @Override
  String backend() {
    return "host-gw";
  }

  @Override
  String prefix() {
    return "ovlfh";
  }
}
