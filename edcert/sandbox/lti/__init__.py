"""The LTI 1.3 sandbox: a conformant LTI tool and a conformant LTI platform, each recording what it received."""
