"""The sandbox's LTI 1.3 counterparts: a platform and a tool."""
