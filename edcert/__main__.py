from edcert.harness.cli import main

main()
