from perftemplates.cli import main

main()
